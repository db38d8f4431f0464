/**
 * The text of an Open Lines message as the portal hands it to a connector
 * (ONIMCONNECTORMESSAGEADD `message.text` / `message.params`).
 *
 * - Typed text: the messenger keeps a message HTML-escaped (`&`, `"`, `<`, `>`
 *   as entities, like Bitrix's htmlspecialcharsbx), so an operator's
 *   `Tom & Jerry <3` goes out as `Tom &amp; Jerry &lt;3` (issue 12 item 11, seen
 *   on portals). Line breaks stay as typed.
 * - A quote ("Цитировать" in the messenger): the quoted message between two
 *   lines of 54 dashes, the first naming its author, date and a link to it; the
 *   messenger writes its lines with `<br />` (the form its own renderer, im.js
 *   `prepareText`, parses:
 *   `-{54}<br />Author [date] #chatN/M<br />text-{54}<br />`).
 * - System messages (imopenlines Connector::onMessageSend): only those the
 *   line flags for the external channel leave the portal, each with
 *   `params.CLASS` containing `bx-messenger-content-item-ol-output` (welcome,
 *   automatic answers, the close text and rating request — these two authored
 *   by the operator — and the thanks for a rating). Internal ones (a transfer,
 *   an operator joining) carry no author and no params; Bitrix's own code does
 *   not forward them, but integrators report author-less system messages
 *   (spec §7 "[I]"), so the emulator sends them: the harder case for a bridge.
 *   Params other than CLASS, url and IMOL_* / IS_* are filtered out for
 *   connectors (TYPE, COMPONENT_ID never arrive).
 */
import type { OlChat, OlMessage } from './model.ts';
import type { PortalState } from './portal.ts';

const SEPARATOR = '-'.repeat(54);
const OUTPUT_CLASS = 'bx-messenger-content-item-ol-output';

export function storedText(typed: string): string {
  return typed.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function dateOf(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(d.getUTCDate())}.${two(d.getUTCMonth() + 1)}.${d.getUTCFullYear()} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

function authorOf(portal: PortalState, chat: OlChat, message: OlMessage): string {
  if (message.direction === 'in') {
    const user = chat.externalUser as { name?: unknown; last_name?: unknown };
    return `${String(user.name ?? '')} ${String(user.last_name ?? '')}`.trim() || 'Гость';
  }
  return message.authorId > 0 ? portal.operatorName(message.authorId) : 'Открытая линия';
}

/** The quote block put before the operator's text: `stored` goes to the connector, `shown` is the chat's view. */
export function quoteBlock(portal: PortalState, chat: OlChat, quoted: OlMessage): { stored: string; shown: string } {
  const header = `${authorOf(portal, chat, quoted)} [${dateOf(quoted.dateMs)}] #chat${chat.chatId}/${quoted.id}`;
  const lines = [SEPARATOR, header, ...quoted.text.split('\n'), SEPARATOR];
  return {
    stored: `${SEPARATOR}<br />${storedText(header)}<br />${storedText(quoted.text).split('\n').join('<br />')}${SEPARATOR}<br />`,
    shown: `${lines.join('\n')}\n`,
  };
}

export type SystemMessageKind = 'welcome' | 'no_answer' | 'close_text' | 'vote' | 'vote_thanks' | 'transfer' | 'join';

interface SystemShape {
  /** Who is the author: nobody (user_id 0) or the chat's operator. */
  author: 'none' | 'operator';
  params: (chat: OlChat) => Record<string, string>;
  text: string;
}

/** Default texts are the portal's line settings (imopenlines config) or its own wording. */
export const SYSTEM_SHAPES: Record<SystemMessageKind, SystemShape> = {
  welcome: { author: 'none', params: () => ({ CLASS: OUTPUT_CLASS }), text: 'Здравствуйте! Мы получили ваше сообщение, оператор скоро ответит.' },
  no_answer: { author: 'none', params: () => ({ CLASS: OUTPUT_CLASS, IMOL_FORM: 'offline' }), text: 'К сожалению, сейчас все операторы заняты. Мы ответим вам, как только освободимся.' },
  close_text: { author: 'operator', params: () => ({ CLASS: OUTPUT_CLASS, IMOL_FORM: 'history' }), text: 'Диалог завершён. Спасибо за обращение!' },
  vote: {
    author: 'operator',
    params: (chat) => ({
      IMOL_VOTE: String(chat.sessionId), IMOL_VOTE_TEXT: 'Пожалуйста, оцените качество обслуживания', IMOL_VOTE_LIKE: 'Понравилось',
      IMOL_VOTE_DISLIKE: 'Не понравилось', CLASS: `${OUTPUT_CLASS} bx-messenger-content-item-vote`, IMOL_FORM: 'history-delay',
    }),
    text: 'Пожалуйста, оцените качество обслуживания: отправьте 1, если понравилось, или 0, если нет.',
  },
  vote_thanks: { author: 'none', params: () => ({ CLASS: OUTPUT_CLASS }), text: 'Спасибо за вашу оценку!' },
  transfer: { author: 'none', params: () => ({}), text: 'Диалог переведён на другого оператора' },
  join: { author: 'none', params: () => ({}), text: 'Оператор присоединился к диалогу' },
};
