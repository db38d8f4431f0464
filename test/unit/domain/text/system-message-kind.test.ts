/**
 * Which Open Lines system messages reach the client, from the event shapes
 * Bitrix24 sends (params as they arrive after the form decoding).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SYSTEM_MESSAGES_SETTINGS, systemMessageKind, systemMessageStyle, type OpenLinesMessage, type SystemMessageKind } from '../../../../src/domain/text/system-message-kind.ts';

const OUTPUT = 'bx-messenger-content-item-ol-output';

const ROWS: Array<[string, OpenLinesMessage, SystemMessageKind | null]> = [
  ['the welcome text', { userId: '0', text: 'Здравствуйте!', params: { CLASS: OUTPUT } }, 'for-client'],
  ['no operator available (automatic answer)', { userId: '0', text: 'Все операторы заняты', params: { CLASS: OUTPUT, IMOL_FORM: 'offline' } }, 'for-client'],
  ['the close text, authored by the operator', { userId: '7', text: 'Диалог завершён', params: { CLASS: OUTPUT, IMOL_FORM: 'history' } }, 'for-client'],
  ['the rating request, authored by the operator', { userId: '7', text: 'Оцените', params: { IMOL_VOTE: '12', CLASS: `${OUTPUT} bx-messenger-content-item-vote` } }, 'for-client'],
  ['a transfer (no author, no params)', { userId: '0', text: 'Анна Смирнова перевёл(а) диалог на оператора Олег Иванов', params: null }, 'internal'],
  ['an operator joining (no author, empty params)', { userId: '0', text: 'Олег Иванов присоединился к диалогу', params: {} }, 'internal'],
  ['an internal notice with params but no output class', { userId: '0', text: 'Диалог перенаправлен', params: { CLASS: 'bx-messenger-content-item-system' } }, 'internal'],
  ['"the dialog was closed by" (ol-end), authored', { userId: '7', text: 'Диалог закрыт оператором', params: { CLASS: 'bx-messenger-content-item-ol-end' } }, 'internal'],
  ['an English transfer without params', { userId: '', text: 'Anna transferred the dialog to Oleg', params: null }, 'internal'],
  ['an unknown author-less text without params (a welcome must not be lost)', { userId: '0', text: 'Добро пожаловать', params: null }, 'for-client'],
  ['an operator\'s reply', { userId: '7', text: '[b]Анна:[/b] [br]Да', params: null }, null],
  ['an operator\'s reply with a rich-link param', { userId: '7', text: 'https://x.ru', params: { url: 'https://x.ru' } }, null],
];

test('each Open Lines message shape is classified as the client\'s, internal, or an operator\'s', () => {
  for (const [what, message, kind] of ROWS) assert.equal(systemMessageKind(message), kind, what);
});

test('with the default rewrite a transfer is never sent; every value of messages.system_messages still works', () => {
  const expected: Record<string, [string, string]> = {
    forward: ['as-is', 'none'], rewrite: ['italic', 'none'], drop: ['none', 'none'], forward_all: ['as-is', 'as-is'], rewrite_all: ['italic', 'italic'],
  };
  for (const setting of SYSTEM_MESSAGES_SETTINGS) {
    assert.deepEqual([systemMessageStyle('for-client', setting), systemMessageStyle('internal', setting)], expected[setting], setting);
  }
});
