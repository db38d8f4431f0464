/**
 * What the operator sees in the Open Line for MAX events that are not plain
 * text (Russian first; English via locale). BB-code, user values escaped.
 */
import { escapeBbcodeText } from './markup-to-bbcode.ts';

export type Locale = 'ru' | 'en';

const T = {
  started: { ru: 'Клиент запустил бота', en: 'The client started the bot' },
  source: { ru: 'источник', en: 'source' },
  stopped: { ru: 'Клиент остановил бота: сообщения ему не доставляются, пока он не запустит бота снова.', en: 'The client stopped the bot: messages are not delivered until they start it again.' },
  removed: { ru: 'Клиент удалил диалог с ботом.', en: 'The client deleted the dialog with the bot.' },
  pressed: { ru: 'Клиент нажал кнопку', en: 'The client pressed the button' },
  contact: { ru: 'Контакт', en: 'Contact' },
  location: { ru: 'Геопозиция', en: 'Location' },
  sticker: { ru: 'Стикер', en: 'Sticker' },
  link: { ru: 'Ссылка', en: 'Link' },
  botAdded: { ru: 'Бота добавили в чат', en: 'The bot was added to the chat' },
  botRemoved: { ru: 'Бота удалили из чата: сообщения в этот чат больше не доставляются.', en: 'The bot was removed from the chat: messages to it are no longer delivered.' },
  userAdded: { ru: 'В чат добавлен участник', en: 'A member joined the chat' },
  userJoined: { ru: 'К чату присоединился участник', en: 'A member joined the chat by link' },
  userRemoved: { ru: 'Участника удалили из чата', en: 'A member was removed from the chat' },
  userLeft: { ru: 'Участник покинул чат', en: 'A member left the chat' },
  titleChanged: { ru: 'Название чата изменено', en: 'The chat was renamed' },
  by: { ru: 'кто', en: 'by' },
  undelivered: { ru: 'Сообщение не доставлено клиенту в MAX', en: 'The message was not delivered to the client in MAX' },
  blocked: { ru: 'клиент остановил бота или заблокировал его. Сообщения дойдут, когда клиент снова запустит бота.', en: 'the client stopped or blocked the bot. Messages will reach them once they start the bot again.' },
  denied: { ru: 'бот больше не может писать в этот чат (его удалили из чата или лишили прав).', en: 'the bot can no longer write to this chat (removed or lost its rights).' },
  gone: { ru: 'чат в MAX больше не существует.', en: 'the chat no longer exists in MAX.' },
  tooLarge: { ru: 'файл слишком большой для MAX.', en: 'the file is too large for MAX.' },
  rejected: { ru: 'MAX отклонил сообщение', en: 'MAX refused the message' },
  clientFileTooLarge: { ru: 'файл слишком большой, не передан', en: 'file too large, not carried' },
} as const;

/** In the Open Line, for a client's file over the bridge's size cap (media.max_bytes). */
export function fileTooLargeText(name: string, locale: Locale = 'ru'): string {
  return `(${escapeBbcodeText(name)}: ${T.clientFileTooLarge[locale]})`;
}

export type UndeliveredReason = 'blocked' | 'denied' | 'gone' | 'tooLarge' | 'rejected';

/** The operator's notice in the Open Line when a reply cannot reach the client (BB-code). */
export function undeliveredText(reason: UndeliveredReason, excerpt: string, detail = '', locale: Locale = 'ru'): string {
  const quoted = excerpt ? ` «${escapeBbcodeText(excerpt.length > 80 ? `${excerpt.slice(0, 79)}…` : excerpt)}»` : '';
  const why = reason === 'rejected' ? `${T.rejected[locale]}${detail ? `: ${escapeBbcodeText(detail)}` : ''}.`
    : reason === 'tooLarge' && detail ? `${T.tooLarge[locale]} (${escapeBbcodeText(detail)})` : T[reason][locale];
  return `[b]${T.undelivered[locale]}[/b]${quoted}: ${why}`;
}

function who(name: string): string {
  return name ? `: ${escapeBbcodeText(name)}` : '';
}

/** Group chat events: bot added/removed, members added/joined/removed/left, title changed. */
export function botAddedText(byName: string, locale: Locale = 'ru'): string {
  return `${T.botAdded[locale]}${byName ? ` (${T.by[locale]}: ${escapeBbcodeText(byName)})` : ''}`;
}

export function botRemovedText(locale: Locale = 'ru'): string {
  return T.botRemoved[locale];
}

export function userAddedText(name: string, viaLink: boolean, locale: Locale = 'ru'): string {
  return `${(viaLink ? T.userJoined : T.userAdded)[locale]}${who(name)}`;
}

export function userRemovedText(name: string, left: boolean, locale: Locale = 'ru'): string {
  return `${(left ? T.userLeft : T.userRemoved)[locale]}${who(name)}`;
}

export function chatTitleChangedText(title: string, locale: Locale = 'ru'): string {
  return `${T.titleChanged[locale]}: «${escapeBbcodeText(title)}»`;
}

export function botStartedText(payload: string | null, locale: Locale = 'ru'): string {
  return payload ? `${T.started[locale]} (${T.source[locale]}: ${escapeBbcodeText(payload)})` : T.started[locale];
}

export function botStoppedText(dialogRemoved: boolean, locale: Locale = 'ru'): string {
  return dialogRemoved ? `${T.removed[locale]} ${T.stopped[locale]}` : T.stopped[locale];
}

export function buttonPressedText(buttonText: string, locale: Locale = 'ru'): string {
  return `${T.pressed[locale]}: «${escapeBbcodeText(buttonText)}»`;
}

export function contactText(name: string, phone: string | null, locale: Locale = 'ru'): string {
  return `${T.contact[locale]}: ${escapeBbcodeText(name)}${phone ? `, ${escapeBbcodeText(phone)}` : ''}`;
}

export function locationText(latitude: number, longitude: number, locale: Locale = 'ru'): string {
  const url = `https://yandex.ru/maps/?pt=${longitude},${latitude}&z=16&l=map`;
  return `${T.location[locale]}: [url=${url}]${latitude.toFixed(6)}, ${longitude.toFixed(6)}[/url]`;
}

export function shareText(url: string | null, title: string | null, locale: Locale = 'ru'): string {
  if (!url || !/^https?:\/\//.test(url)) return `${T.link[locale]}: ${escapeBbcodeText(title ?? '')}`;
  return `${T.link[locale]}: [url=${url.replace(/\]/g, '%5D')}]${escapeBbcodeText(title || url)}[/url]`;
}

export function stickerText(locale: Locale = 'ru'): string {
  return `[${T.sticker[locale]}]`.replace('[', '(').replace(']', ')');
}
