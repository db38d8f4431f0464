/**
 * The Setup page (`/admin/ui/setup`, administrators only): add a MAX bot by pasting its token
 * (checked with MAX, written where the configuration lives, subscribed), a portal's install
 * addresses and state, and the choice of its Open Line. The work is in src/admin/setup/; this
 * file turns its outcomes into words (Russian first) and the view's data. No secret is ever
 * part of the page: not the pasted token (the field is never filled back), not client_secret.
 */
import type { BridgeConfigData } from '../../config/schema.ts';
import { fixFor } from '../error-fixes.ts';
import type { AdminPage, Lang, PageContext, PageOutcome } from '../page.ts';
import { renderView } from '../render.ts';
import { addBot, type AddBotOutcome, type SubscriptionState } from '../setup/add-bot.ts';
import { configPlaceOf } from '../setup/config-place.ts';
import { chooseLine, portalSetupViews, type ChooseLineOutcome, type PortalSetupView } from '../setup/portal-lines.ts';
import { SETUP_VIEW } from '../views/setup.ts';

/** The scopes the local application needs (spec bitrix24-rest §2). */
export const APP_SCOPES = 'imconnector, imopenlines, im, crm, placement, user';

type Block = { text: string } | { pre: string } | { list: string[] };
export interface Notice { bad: boolean; blocks: Block[] }
type T = PageContext['t'];

const badge = (cls: 'ok' | 'warn' | 'bad', text: string) => ({ cls, badge: text });

function placeView(ctx: PageContext) {
  const { t } = ctx;
  const setup = ctx.deps.setup;
  const place = configPlaceOf(setup?.configFile ?? null);
  const live = setup?.reloadConfig !== undefined;
  if (place.kind === 'env') {
    return { ...badge('warn', t('переменные окружения', 'environment variables')), text: t(
      'Мост настроен переменными окружения, без файла (CONFIG_FILE не задан): новый бот показывается как YAML для нового файла, и нужен перезапуск.',
      'The bridge is configured by environment variables, without a file (CONFIG_FILE is not set): a new bot is shown as the YAML of a new file, and a restart is needed.') };
  }
  if (!place.writable) {
    return { ...badge('warn', t('файл только для чтения', 'read-only file')), text: t(
      `Файл ${place.path} мост изменить не может: изменения показываются как YAML, который нужно вставить в него${live ? '; мост перечитает файл сам' : ''}.`,
      `The bridge cannot change ${place.path}: changes are shown as YAML to paste into it${live ? '; the bridge reloads the file by itself' : ''}.`) };
  }
  return { ...badge('ok', t('файл', 'file')), text: t(
    `Файл ${place.path}: изменения записываются в него (комментарии сохраняются), токены — только как \${ПЕРЕМЕННАЯ}${live ? '; мост сразу перечитывает настройки' : '; вступают в силу после перезапуска'}.`,
    `File ${place.path}: changes are written into it (comments kept), tokens only as \${VARIABLE}${live ? '; the bridge reloads the configuration at once' : '; they apply after a restart'}.`) };
}

function botRows(ctx: PageContext, config: BridgeConfigData) {
  const { t } = ctx;
  const live = ctx.deps.live?.().bots ?? null;
  return config.bots.map((b) => {
    const side = live?.find((s) => s.id === b.id);
    const state = !live ? { ...badge('warn', t('неизвестно', 'unknown')), text: '' }
      : side?.problem ? { ...badge('bad', t('проблема', 'problem')), text: side.problem }
        : { ...badge('ok', t('токен принят', 'token accepted')), text: '' };
    return { id: b.id, updates: b.updates === 'webhook' ? t('вебхук', 'webhook') : t('опрос', 'polling'), state };
  });
}

function portalRows(ctx: PageContext, views: PortalSetupView[], lang: Lang) {
  const { t } = ctx;
  return views.map((p) => {
    const installed = p.installed
      ? { ...badge('ok', t('установлено', 'installed')), text: t(`Приложение установлено на ${p.installed.domain}.`, `The app is installed on ${p.installed.domain}.`) }
      : { ...badge('warn', t('не установлено', 'not installed')), text: t('Приложение ещё не установлено на портале: установите его по адресам ниже.', 'The app is not installed on the portal yet: install it with the addresses below.') };
    const own = p.ownLine;
    const lineText = p.pinnedLineId !== null
      ? t(`Линия задана в настройках: № ${p.pinnedLineId}${own?.lineId === p.pinnedLineId ? (own.active ? ', коннектор активен' : ', коннектор приостановлен') : ''}.`,
        `The line is set in the configuration: no. ${p.pinnedLineId}${own?.lineId === p.pinnedLineId ? (own.active ? ', connector active' : ', connector paused') : ''}.`)
      : own ? t(`Линия моста: № ${own.lineId}, ${own.active ? 'коннектор активен' : 'коннектор приостановлен'}.`, `The bridge's line: no. ${own.lineId}, connector ${own.active ? 'active' : 'paused'}.`)
        : t('Линия ещё не выбрана: после установки мост найдёт или создаст линию «MAX», или выберите её ниже.', 'No line yet: after the install the bridge finds or creates a line named "MAX", or choose one below.');
    const lines = Array.isArray(p.lines) ? p.lines : [];
    const linesError = p.lines !== null && !Array.isArray(p.lines)
      ? t(`Список открытых линий получить не удалось (${p.lines.error}). ${fixFor(p.lines.error, lang)}`, `The Open Lines could not be listed (${p.lines.error}). ${fixFor(p.lines.error, lang)}`) : null;
    return { id: p.id, url: p.url, installUrl: p.installUrl, installed, lineText, lines, linesError, currentLineId: own?.lineId ?? p.pinnedLineId };
  });
}

async function render(ctx: PageContext, extra: { botNotice?: Notice; portalNotice?: Notice; form?: { id: string; updates: string } } = {}): Promise<{ title: string; html: string }> {
  const { t } = ctx;
  const config = ctx.deps.config();
  const views = await portalSetupViews(ctx.deps);
  const html = renderView(SETUP_VIEW, {
    t, csrfToken: ctx.csrfToken, canEdit: ctx.deps.setup !== undefined, place: placeView(ctx), scopes: APP_SCOPES,
    bots: botRows(ctx, config), portals: portalRows(ctx, views, ctx.lang),
    form: extra.form ?? { id: '', updates: config.max.updates },
    botNotice: extra.botNotice ?? null, portalNotice: extra.portalNotice ?? null,
  });
  return { title: t('Настройка', 'Setup'), html };
}

function subscriptionText(s: SubscriptionState, t: T, lang: Lang): string {
  switch (s.state) {
    case 'subscribed': return t(`Подписка на вебхук есть: MAX присылает обновления на ${s.url}.`, `The webhook subscription is in place: MAX posts updates to ${s.url}.`);
    case 'later': return t('Подписку на вебхук мост сделает сам, когда загрузит бота.', 'The bridge subscribes the webhook itself once it loads the bot.');
    case 'failed': return t(`Подписаться на вебхук сейчас не удалось (${s.code}); мост повторит при плановой проверке (каждые 10 минут). ${fixFor(s.code, lang)}`,
      `Subscribing the webhook failed for now (${s.code}); the bridge tries again at its next check (every 10 minutes). ${fixFor(s.code, lang)}`);
    case 'polling': return t('Обновления мост получает опросом (long polling), подписка не нужна.', 'The bridge gets updates by long polling; no subscription is needed.');
  }
}

/** The words for what adding a bot gave. */
export function botOutcomeNotice(o: AddBotOutcome, t: T, lang: Lang): Notice {
  const refused = (...texts: string[]): Notice => ({ bad: true, blocks: texts.map((text) => ({ text })) });
  const nothing = t('Ничего не записано.', 'Nothing was written.');
  switch (o.kind) {
    case 'invalid':
      return refused(o.field === 'id'
        ? t('Идентификатор бота: от 1 до 63 строчных латинских букв, цифр, «-» или «_», первый знак — буква или цифра.', 'Bot id: 1 to 63 lowercase letters, digits, "-" or "_", starting with a letter or a digit.')
        : o.field === 'token'
          ? t('Вставьте токен бота целиком, без пробелов: его показывает платформа MAX для партнёров (ваш бот → «Интеграция»).', 'Paste the whole bot token, without spaces: the MAX partner platform shows it (your bot → Integration).')
          : t('Выберите, как получать обновления: вебхук или опрос.', 'Choose how to get updates: webhook or polling.'));
    case 'exists': return refused(t(`Бот «${o.botId}» уже настроен: выберите другой идентификатор.`, `Bot "${o.botId}" is already configured: choose another id.`));
    case 'token-in-use': return refused(t(`Этот токен уже настроен у бота «${o.botId}».`, `This token is already configured for bot "${o.botId}".`), nothing);
    case 'webhook-impossible':
      return refused(o.missing === 'secret_key'
        ? t('Для вебхука нужен ключ BRIDGE_SECRET_KEY (из него выводится секрет вебхука): задайте его и перезапустите мост или выберите опрос.', 'A webhook needs BRIDGE_SECRET_KEY (the webhook secret is derived from it): set it and restart, or choose polling.')
        : t('Для вебхука нужен PUBLIC_URL — https-адрес моста, доступный MAX: задайте его или выберите опрос.', 'A webhook needs PUBLIC_URL, the bridge\'s https address MAX can reach: set it, or choose polling.'));
    case 'rejected': return refused(t('MAX не принял токен (401): он неверный, отозван или заменён. Скопируйте действующий токен на платформе MAX для партнёров и вставьте снова.', 'MAX refused the token (401): it is wrong, revoked or replaced. Copy the valid token from the MAX partner platform and paste it again.'), nothing);
    case 'unreachable': return refused(t(`MAX (${o.host}) недоступен из моста (${o.code}): проверьте DNS, сеть, прокси, сертификаты и max.api_url, затем попробуйте снова.`, `MAX (${o.host}) is unreachable from the bridge (${o.code}): check DNS, network, proxy, certificates and max.api_url, then try again.`), nothing);
    case 'failed': return refused(t(`MAX ответил ошибкой (${o.code}). ${fixFor(o.code, lang)}`, `MAX answered an error (${o.code}). ${fixFor(o.code, lang)}`), nothing);
    case 'config-refused': return { bad: true, blocks: [
      { text: t('Файл настроек с этим ботом не загрузился бы, поэтому он не изменён:', 'The configuration file with this bot would not load, so it was not changed:') },
      { list: o.errors },
    ] };
    case 'added': return { bad: false, blocks: addedBlocks(o, t, lang) };
  }
}

function addedBlocks(o: Extract<AddBotOutcome, { kind: 'added' }>, t: T, lang: Lang): Block[] {
  const who = `${o.bot.name || '—'}${o.bot.username ? ` (@${o.bot.username})` : ''}`;
  const blocks: Block[] = [{ text: t(`MAX принял токен: это бот ${who}.`, `MAX accepted the token: this is the bot ${who}.`) }];
  if (o.writtenTo) {
    blocks.push({ text: t(`Бот «${o.botId}» записан в ${o.writtenTo}; токен в файле — только ссылка \${${o.tokenVariable}}.`, `Bot "${o.botId}" is written to ${o.writtenTo}; the file holds only the reference \${${o.tokenVariable}}, not the token.`) });
  } else if (o.paste && o.paste.into !== 'new-file') {
    blocks.push({ text: t(`Файл ${o.paste.into.file} только для чтения, поэтому мост его не изменил. Добавьте в него, в список bots:`, `${o.paste.into.file} is read-only, so the bridge did not change it. Add this to it, under bots:`) }, { pre: o.paste.yaml });
  } else if (o.paste) {
    blocks.push({ text: t('Мост настроен переменными окружения, без файла. Создайте файл настроек с этим содержимым, укажите его путь в CONFIG_FILE и перезапустите мост (бот из MAX_BOT_TOKEN и портал из BITRIX24_CLIENT_ID остаются):', 'The bridge is configured by environment variables, without a file. Create a configuration file with this content, set CONFIG_FILE to its path and restart the bridge (the bot from MAX_BOT_TOKEN and the portal from BITRIX24_CLIENT_ID stay):') }, { pre: o.paste.yaml });
  }
  blocks.push(
    { text: t('Добавьте в окружение моста (systemd Environment=, docker env, .env) переменную ниже; её значение — вставленный вами токен (мост его больше не показывает):', 'Add the variable below to the bridge\'s environment (systemd Environment=, docker env, .env); its value is the token you pasted (the bridge does not show it again):') },
    { pre: `${o.tokenVariable}=<${t('токен бота', 'the bot token')}>` },
  );
  if (o.applied === 'live') {
    blocks.push({ text: t('Мост уже работает с ботом: настройки перечитаны. Токен пока хранится только в памяти работающего моста — без переменной в окружении следующий запуск откажется от файла.', 'The bridge works with the bot now: the configuration was reloaded. The token is held only in the running bridge\'s memory until then — without the variable the next start refuses the file.') });
  } else if (o.applied === 'after-edit') {
    blocks.push({ text: t('Как только файл будет изменён, мост перечитает его сам (или по SIGHUP) и начнёт работать с ботом.', 'Once the file is edited, the bridge reloads it by itself (or on SIGHUP) and starts working with the bot.') });
  } else {
    blocks.push({ text: t('Чтобы мост начал работать с ботом, перезапустите его.', 'Restart the bridge for it to work with the bot.') });
  }
  if (o.reloadErrors.length > 0) {
    blocks.push({ text: t('Перечитать настройки не удалось, работают прежние:', 'Reloading the configuration failed; the previous one runs:') }, { list: o.reloadErrors });
  }
  blocks.push({ text: subscriptionText(o.subscription, t, lang) });
  return blocks;
}

/** The words for what choosing a line gave. */
export function lineOutcomeNotice(o: ChooseLineOutcome, t: T, lang: Lang): Notice {
  const say = (bad: boolean, ...blocks: Block[]): Notice => ({ bad, blocks });
  switch (o.kind) {
    case 'invalid': return say(true, { text: t('Выберите линию из списка.', 'Choose a line from the list.') });
    case 'unknown-portal': return say(true, { text: t(`Портала «${o.portalId}» нет в настройках.`, `There is no portal "${o.portalId}" in the configuration.`) });
    case 'not-installed': return say(true, { text: t(`Приложение ещё не установлено на портале «${o.portalId}»: сначала установите его по адресам ниже.`, `The app is not installed on portal "${o.portalId}" yet: install it with the addresses below first.`) });
    case 'lines-unavailable': return say(true, { text: t(`Не удалось получить открытые линии портала «${o.portalId}» (${o.code}). ${fixFor(o.code, lang)}`, `The Open Lines of portal "${o.portalId}" could not be read (${o.code}). ${fixFor(o.code, lang)}`) });
    case 'no-such-line': return say(true, { text: t(`На портале «${o.portalId}» нет открытой линии № ${o.lineId} (удалена?). Обновите страницу.`, `Portal "${o.portalId}" has no Open Line no. ${o.lineId} (deleted?). Reload the page.`) });
    case 'pinned':
      if ('envLine' in o.paste) {
        return say(true,
          { text: t(`Линия портала «${o.portalId}» задана переменной BITRIX24_LINE_ID (№ ${o.configuredLineId}). Чтобы подключить линию № ${o.lineId}, задайте в окружении моста и перезапустите его:`, `Portal "${o.portalId}"'s line is set by BITRIX24_LINE_ID (no. ${o.configuredLineId}). To connect line no. ${o.lineId}, set this in the bridge's environment and restart it:`) },
          { pre: o.paste.envLine });
      }
      return say(true,
        { text: t(`Линия портала «${o.portalId}» задана в ${o.paste.file} (№ ${o.configuredLineId}), а файл только для чтения. Измените line_id в записи портала в списке portals:`, `Portal "${o.portalId}"'s line is set in ${o.paste.file} (no. ${o.configuredLineId}), and the file is read-only. Change line_id in the portal's entry under portals:`) },
        { pre: o.paste.yaml },
        { text: t('Мост перечитает файл сам и подключит линию.', 'The bridge reloads the file by itself and connects the line.') });
    case 'written-restart':
      return say(false,
        { text: t(`Линия № ${o.lineId} записана в ${o.writtenTo} (line_id портала «${o.portalId}»). Перезапустите мост, чтобы она заработала.`, `Line no. ${o.lineId} is written to ${o.writtenTo} (portal "${o.portalId}"'s line_id). Restart the bridge for it to take effect.`) },
        ...(o.reloadErrors.length > 0 ? [{ text: t('Перечитать настройки не удалось:', 'Reloading the configuration failed:') }, { list: o.reloadErrors }] : []));
    case 'config-refused': return say(true, { text: t('Файл настроек с этой линией не загрузился бы, поэтому он не изменён:', 'The configuration file with this line would not load, so it was not changed:') }, { list: o.errors });
    case 'activated':
      return say(false,
        { text: t(`Открытая линия № ${o.lineId} портала «${o.portalId}» подключена к MAX: коннектор активирован, новые сообщения клиентов идут в неё.`, `Open Line no. ${o.lineId} of portal "${o.portalId}" is connected to MAX: the connector is active, new client messages go to it.`) },
        ...(o.previousLineId !== null ? [{ text: t(`Прежняя линия № ${o.previousLineId} больше не используется; её диалоги перенесены в новую.`, `The previous line no. ${o.previousLineId} is no longer used; its conversations moved to the new one.`) }] : []),
        ...(o.writtenTo ? [{ text: t(`line_id портала записан в ${o.writtenTo}.`, `The portal's line_id is written to ${o.writtenTo}.`) }] : []));
    case 'failed': return say(true, { text: t(`Подключить линию № ${o.lineId} не удалось (${o.code}). ${fixFor(o.code, lang)}`, `Connecting line no. ${o.lineId} failed (${o.code}). ${fixFor(o.code, lang)}`) });
    case 'pending':
      return say(false, { text: t(`Линия № ${o.lineId} подключается${o.lastErrorCode ? ` (последняя ошибка: ${o.lastErrorCode}, мост повторяет)` : ''}; обновите страницу через минуту.`, `Line no. ${o.lineId} is being connected${o.lastErrorCode ? ` (last error: ${o.lastErrorCode}, the bridge retries)` : ''}; reload the page in a minute.`) });
  }
}

/**
 * A form's outcome is the page with its notice: 200 when done (or under way), 422 when refused,
 * so a script posting the form can tell the two apart as with every other bad input.
 */
function answered(notice: Notice, result: { title: string; html: string }): PageOutcome {
  return notice.bad ? { status: 422, result } : result;
}

async function post(ctx: PageContext, form: Record<string, string>): Promise<PageOutcome> {
  const setup = ctx.deps.setup;
  const by = ctx.user.username;
  if (!setup) {
    return { status: 503, result: await render(ctx, { botNotice: { bad: true, blocks: [{ text: ctx.t('Изменения с этой страницы недоступны в этом мосте.', 'Changes from this page are not available in this bridge.') }] } }) };
  }
  const deps = { ...ctx.deps, setup };
  if (form.action === 'add-bot') {
    const input = { id: form.bot_id ?? '', token: form.token ?? '', updates: form.updates ?? '' };
    const outcome = await addBot(deps, input, by);
    // The id and the mode are given back to correct; the token never is.
    const refill = outcome.kind === 'added' ? undefined : { id: input.id.trim().slice(0, 63), updates: input.updates };
    const botNotice = botOutcomeNotice(outcome, ctx.t, ctx.lang);
    return answered(botNotice, await render(ctx, { botNotice, form: refill }));
  }
  if (form.action === 'choose-line') {
    const outcome = await chooseLine(deps, form.portal ?? '', form.line ?? '', by);
    const portalNotice = lineOutcomeNotice(outcome, ctx.t, ctx.lang);
    return answered(portalNotice, await render(ctx, { portalNotice }));
  }
  return { status: 400, result: await render(ctx) };
}

export const setupPage: AdminPage = {
  path: 'setup',
  nav: { ru: 'Настройка', en: 'Setup', order: 70 },
  roles: ['admin'],
  get: (ctx) => render(ctx),
  post,
};
