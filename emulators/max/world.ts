/**
 * In-memory state of the emulated MAX service and the operations both the Bot
 * API and the control API act through. Emitting an update appends it to the
 * bot's log; the delivery layer (webhook or long polling) reads from there.
 */
import { makeMid, SeqCounter } from './ids.ts';
import {
  botUser,
  type BotState,
  type ChatState,
  type LoggedUpdate,
  type MaxAttachment,
  type MaxMarkup,
  type MaxMessage,
  type MaxUser,
  type StoredMessage,
  type SubscriptionState,
  type UploadState,
} from './model.ts';

export type UpdateListener = (logged: LoggedUpdate) => void;

/** Dialog chat ids are positive, group chat ids negative (spec §1). */
const FIRST_DIALOG_CHAT_ID = 90_000_001;
const FIRST_GROUP_CHAT_ID = -70_000_001;

export class MaxWorld {
  readonly bots = new Map<number, BotState>();
  readonly users = new Map<number, MaxUser>();
  /** Profile photos (UserWithPhoto.avatar_url): shown in GET /chats/{id} dialog_with_user, never in updates' User. */
  readonly avatars = new Map<number, string>();
  readonly chats = new Map<number, ChatState>();
  readonly messages = new Map<string, StoredMessage>();
  readonly uploads = new Map<string, UploadState>();
  readonly subscriptions = new Map<number, SubscriptionState[]>();
  readonly updateLog = new Map<number, LoggedUpdate[]>();
  /** Long-polling: highest position committed by a marker, per bot. */
  readonly committed = new Map<number, number>();
  /** Channel comments by mid: the comment and the post it belongs to. */
  readonly comments = new Map<string, { botId: number; chatId: number; postMid: string; message: MaxMessage; deleted: boolean }>();
  readonly callbacks = new Map<string, { botId: number; mid: string | null; userId: number; answers: unknown[] }>();
  private readonly seq = new SeqCounter();
  private nextDialogChatId = FIRST_DIALOG_CHAT_ID;
  private nextGroupChatId = FIRST_GROUP_CHAT_ID;
  private nextPosition = 1;
  private listeners: UpdateListener[] = [];

  addBot(bot: BotState): void {
    this.bots.set(bot.userId, bot);
    this.subscriptions.set(bot.userId, []);
    this.updateLog.set(bot.userId, []);
    this.committed.set(bot.userId, 0);
  }

  botByToken(token: string): BotState | undefined {
    for (const bot of this.bots.values()) if (bot.token === token) return bot;
    return undefined;
  }

  onUpdate(listener: UpdateListener): void {
    this.listeners.push(listener);
  }

  emit(botId: number, update: LoggedUpdate['update']): LoggedUpdate {
    const logged: LoggedUpdate = { position: this.nextPosition++, botId, update };
    this.updateLog.get(botId)?.push(logged);
    for (const listener of this.listeners) listener(logged);
    return logged;
  }

  /** The dialog between a bot and a user, created on first contact. */
  dialogOf(botId: number, userId: number, create: boolean): ChatState | undefined {
    for (const chat of this.chats.values()) {
      if (chat.type === 'dialog' && chat.botId === botId && chat.userId === userId) return chat;
    }
    if (!create) return undefined;
    const now = Date.now();
    const chat: ChatState = {
      chatId: this.nextDialogChatId++,
      type: 'dialog',
      botId,
      userId,
      title: null,
      status: 'active',
      participants: new Map([
        [userId, now],
        [botId, now],
      ]),
      ownerId: null,
      lastEventTimeMs: now,
      mids: [],
    };
    this.chats.set(chat.chatId, chat);
    return chat;
  }

  createGroupChat(botId: number, title: string, ownerId: number, memberIds: number[], isChannel = false): ChatState {
    const now = Date.now();
    const chat: ChatState = {
      chatId: this.nextGroupChatId--,
      type: isChannel ? 'channel' : 'chat',
      botId,
      userId: null,
      title,
      status: 'active',
      participants: new Map([[ownerId, now], [botId, now], ...memberIds.map((id): [number, number] => [id, now])]),
      ownerId,
      lastEventTimeMs: now,
      mids: [],
    };
    this.chats.set(chat.chatId, chat);
    return chat;
  }

  newBody(text: string | null, attachments: MaxAttachment[] | null, markup: MaxMarkup[] | null) {
    return { mid: makeMid(), seq: this.seq.take(), text, attachments, markup };
  }

  /** Stores a message in a chat and returns it. */
  addMessage(input: {
    chat: ChatState;
    /** Null for a post made on behalf of a channel (spec §4.1). */
    sender: MaxUser | null;
    fromBot: boolean;
    text: string | null;
    attachments: MaxAttachment[] | null;
    markup: MaxMarkup[] | null;
    link: MaxMessage['link'];
    /** When it was written (default now): a message written while nobody polled. */
    atMs?: number;
  }): StoredMessage {
    const { chat } = input;
    const bot = this.bots.get(chat.botId);
    const now = input.atMs ?? Date.now();
    const message: MaxMessage = {
      sender: input.sender,
      recipient: {
        chat_id: chat.chatId,
        chat_type: chat.type,
        // On an incoming dialog message recipient.user_id is the bot (spec §4.1, [3P]);
        // on the bot's own message it is the user.
        user_id: chat.type === 'dialog' ? (input.fromBot ? chat.userId : (bot?.userId ?? null)) : null,
      },
      timestamp: now,
      link: input.link ?? null,
      body: this.newBody(input.text, input.attachments, input.markup),
    };
    const stored: StoredMessage = {
      message,
      chatId: chat.chatId,
      botId: chat.botId,
      fromBot: input.fromBot,
      deleted: false,
      history: [],
    };
    this.messages.set(message.body.mid, stored);
    chat.mids.push(message.body.mid);
    chat.lastEventTimeMs = now;
    return stored;
  }

  botSender(botId: number): MaxUser {
    const bot = this.bots.get(botId);
    if (!bot) throw new Error(`unknown bot ${botId}`);
    return botUser(bot);
  }

  reset(): void {
    this.users.clear();
    this.avatars.clear();
    this.chats.clear();
    this.messages.clear();
    this.uploads.clear();
    this.callbacks.clear();
    for (const botId of this.bots.keys()) {
      this.subscriptions.set(botId, []);
      this.updateLog.set(botId, []);
      this.committed.set(botId, 0);
    }
  }
}
