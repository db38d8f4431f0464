/**
 * The MAX world the emulator keeps in memory: bots, users, chats, messages,
 * uploads, subscriptions and the per-bot update log. Shapes follow
 * spec/max/openapi.yaml; `seq` is a BigInt (see json.ts).
 */
import type { components } from '../../src/max/types.ts';

type Schemas = components['schemas'];
export type MaxUser = Schemas['User'] & { name?: string | null };
export type MaxMarkup = Schemas['MarkupElement'] & Record<string, unknown>;
export type MaxAttachment = { type: string } & Record<string, unknown>;

export interface MaxMessageBody {
  mid: string;
  seq: bigint;
  text: string | null;
  attachments: MaxAttachment[] | null;
  markup?: MaxMarkup[] | null;
}

export interface MaxMessage {
  sender: MaxUser | null;
  recipient: { chat_id: number | null; chat_type: 'dialog' | 'chat' | 'channel'; user_id: number | null };
  timestamp: number;
  link?: { type: 'reply' | 'forward'; sender?: MaxUser | null; chat_id?: number; message: MaxMessageBody } | null;
  body: MaxMessageBody;
  stat?: null;
  url?: string | null;
}

export interface StoredMessage {
  message: MaxMessage;
  chatId: number;
  botId: number;
  fromBot: boolean;
  deleted: boolean;
  /** Earlier versions, oldest first (edits). */
  history: MaxMessageBody[];
}

export interface ChatState {
  chatId: number;
  type: 'dialog' | 'chat' | 'channel';
  botId: number;
  /** For dialogs: the user the bot talks to. */
  userId: number | null;
  title: string | null;
  /** active | removed | left | closed | suspended (user stopped the bot). */
  status: 'active' | 'removed' | 'left' | 'closed' | 'suspended';
  /** user id → join time (ms). The bot is a member while status is active. */
  participants: Map<number, number>;
  ownerId: number | null;
  lastEventTimeMs: number;
  mids: string[];
}

export interface BotState {
  userId: number;
  token: string;
  name: string;
  username: string;
}

export interface UploadState {
  token: string;
  type: 'image' | 'video' | 'audio' | 'file';
  botId: number;
  /** Set when the file arrived at the upload URL. */
  uploadedAtMs: number | null;
  filename: string;
  contentType: string;
  data: Buffer;
  /** For images: the photo id assigned on upload. */
  photoId: number;
}

export interface SubscriptionState {
  url: string;
  timeMs: number;
  updateTypes: string[] | null;
  secret: string | null;
  /** Since when deliveries to this subscription have failed without a success (null: healthy). */
  failingSinceMs: number | null;
}

export interface LoggedUpdate {
  /** Position in the bot's update log; long-polling markers are these numbers. */
  position: number;
  botId: number;
  update: Record<string, unknown> & { update_type: string; timestamp: number };
}

export interface DeliveryAttempt {
  botId: number;
  url: string;
  position: number;
  updateType: string;
  attempt: number;
  atMs: number;
  /** HTTP status, or null for timeout / connection error. */
  status: number | null;
  error?: string;
}

export function userFromInput(input: {
  user_id: number;
  first_name: string;
  last_name?: string | null;
  username?: string | null;
}): MaxUser {
  const lastName = input.last_name ?? null;
  return {
    user_id: input.user_id,
    first_name: input.first_name,
    last_name: lastName,
    username: input.username ?? null,
    is_bot: false,
    last_activity_time: Date.now(),
    name: lastName ? `${input.first_name} ${lastName}` : input.first_name,
  };
}

export function botUser(bot: BotState): MaxUser {
  return {
    user_id: bot.userId,
    first_name: bot.name,
    username: bot.username,
    is_bot: true,
    last_activity_time: Date.now(),
    name: bot.name,
  };
}
