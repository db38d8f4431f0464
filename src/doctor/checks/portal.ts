/**
 * `bitrix24.tokens` and `bitrix24.install`: each configured portal has the app installed (the
 * bridge stored its tokens at the install, and the portal says `INSTALLED` in `app.info`), and
 * its tokens are refreshable — a real refresh through the portal's OAuth server (the new pair
 * is stored, as the bridge's own refresh would; the running bridge picks it up). A refresh that
 * fails for good (invalid_grant: the refresh token expired after 180 days unused or was used
 * elsewhere; invalid_client: the app's secret changed) leaves the portal unusable until the
 * app is installed again.
 */
import { Bitrix24ApiError, Bitrix24NetworkError, BITRIX24_ERROR_CODES } from '../../bitrix24/errors.ts';
import type { PortalConfig } from '../../config/schema.ts';
import { SideHeldError } from '../../domain/side-hold.ts';
import { isStore, type DoctorContext } from '../deps.ts';
import { errorText, failed, ok, skip, words, type CheckResult, type Words } from '../result.ts';
import { withTimeLimit } from '../time-limit.ts';

const TOKENS = 'bitrix24.tokens';
const INSTALL = 'bitrix24.install';

function installFix(ctx: DoctorContext, portalId: string): Words {
  const url = `${ctx.config.server.public_url ?? '<PUBLIC_URL>'}/bitrix24/install/${portalId}`;
  return words(
    `Установите приложение на портале: в настройках локального серверного приложения (Разработчикам → Другое → Локальные приложения) укажите путь для первоначальной установки ${url} и путь обработчика ${url}, затем установите (или переустановите) приложение.`,
    `Install the app on the portal: in the local server app's settings (Developer resources → Other → Local applications) give ${url} as the install path and the handler path, then install (or reinstall) the app.`,
  );
}

export interface PortalFindings {
  results: CheckResult[];
  /** Its tokens work: the connector checks may ask the portal. */
  usable: boolean;
}

export async function portalChecks(ctx: DoctorContext, portal: PortalConfig): Promise<PortalFindings> {
  const subject = `portal ${portal.id}`;
  if (!isStore(ctx.store)) {
    const why = words('Не проверено: база данных недоступна (токены порталов хранятся в ней).', 'Not checked: the database is unavailable (the portals\' tokens are stored there).');
    return { results: [skip(INSTALL, subject, why), skip(TOKENS, subject, why)], usable: false };
  }
  let row;
  try {
    row = (await withTimeLimit(ctx.store.overview.portals(), ctx.timeoutMs, 'the database')).find((p) => p.id === portal.id);
  } catch (err) {
    const why = words(`Не проверено: портал не прочитан из базы (${errorText(err)}).`, `Not checked: the portal could not be read from the database (${errorText(err)}).`);
    return { results: [skip(INSTALL, subject, why), skip(TOKENS, subject, why)], usable: false };
  }
  if (!row || row.status !== 'active') {
    const problem = !row
      ? words(`Приложение не установлено на портале ${portal.id}: мост не получал установки (ONAPPINSTALL) и не знает ключей портала.`, `The app is not installed on portal ${portal.id}: the bridge never received its install (ONAPPINSTALL) and has no keys for the portal.`)
      : words(`Приложение удалено с портала ${portal.id} (${row.domain}): его события не принимаются, сообщения клиентов ждут.`, `The app was uninstalled from portal ${portal.id} (${row.domain}): its events are refused; client messages wait.`);
    return { results: [failed(INSTALL, subject, problem, installFix(ctx, portal.id)), skip(TOKENS, subject, words('Не проверено: приложение не установлено.', 'Not checked: the app is not installed.'))], usable: false };
  }
  const client = ctx.bitrixClient(portal.id);
  let tokensResult: CheckResult;
  let expiresAtMs: number;
  try {
    const current = await withTimeLimit(client.tokens.current(portal.id), ctx.timeoutMs, 'the database');
    const next = await withTimeLimit(client.tokens.refresh(portal.id, current.accessToken), ctx.timeoutMs, 'the OAuth server');
    expiresAtMs = next.expiresAtMs;
    const oauthHost = new URL(next.serverEndpoint).host;
    tokensResult = ok(TOKENS, subject, words(`Ключи обновляются: сервер авторизации ${oauthHost} выдал новую пару, она сохранена.`, `The tokens refresh: the OAuth server ${oauthHost} issued a new pair; it is stored.`),
      { oauth_server: oauthHost, access_expires_at: new Date(expiresAtMs).toISOString() });
  } catch (err) {
    const refusal = err instanceof Bitrix24ApiError && err.code === BITRIX24_ERROR_CODES.reauthRequired;
    const unreachable = err instanceof Bitrix24NetworkError || (err instanceof Bitrix24ApiError && err.retryable) || err instanceof SideHeldError;
    const code = err instanceof Bitrix24ApiError ? err.bitrixCode : '';
    const tokens = refusal
      ? failed(TOKENS, subject,
        words(`Сервер авторизации Битрикс24 отказал в обновлении ключей (${code}): ключ обновления истёк (180 дней без обращений), уже использован другой установкой, или у приложения сменился секрет. Без этого мост не может обращаться к порталу.`,
          `The Bitrix24 OAuth server refused the refresh (${code}): the refresh token expired (180 days unused), was used by another install, or the app's secret changed. Without it the bridge cannot call the portal.`),
        words(`Проверьте, что bitrix24.client_id и client_secret (BITRIX24_CLIENT_ID, BITRIX24_CLIENT_SECRET) — те, что показаны в карточке приложения на портале, и переустановите приложение. ${installFix(ctx, portal.id).ru}`,
          `Check that bitrix24.client_id and client_secret (BITRIX24_CLIENT_ID, BITRIX24_CLIENT_SECRET) are those the app's card on the portal shows, and reinstall the app. ${installFix(ctx, portal.id).en}`),
        { code })
      : unreachable
        ? failed(TOKENS, subject, words(`Сервер авторизации Битрикс24 недоступен: ${errorText(err)}`, `The Bitrix24 OAuth server is unreachable: ${errorText(err)}`),
          words('Проверьте с этой машины DNS и доступ к серверу авторизации (oauth.bitrix24.tech для порталов .ru, oauth.bitrix.info для остальных) и к порталу; повторите проверку.',
            'From this machine, check DNS and access to the OAuth server (oauth.bitrix24.tech for .ru portals, oauth.bitrix.info for others) and the portal; run the check again.'))
        : failed(TOKENS, subject, words(`Ключи не обновились: ${errorText(err)}`, `The tokens did not refresh: ${errorText(err)}`),
          words('Повторите проверку; если ошибка остаётся — переустановите приложение на портале.', 'Run the check again; if it stays, reinstall the app on the portal.'));
    return { results: [ok(INSTALL, subject, words(`Установка записана (${row.domain}).`, `The install is recorded (${row.domain}).`), { domain: row.domain }), tokens], usable: false };
  }
  try {
    const info = await withTimeLimit(client.call<{ INSTALLED?: boolean; PAYMENT_EXPIRED?: string; STATUS?: string }>(portal.id, 'app.info', {}, { idempotent: true }), ctx.timeoutMs, 'app.info');
    if (info.INSTALLED === false) {
      return { results: [failed(INSTALL, subject,
        words(`Установка на портале ${row.domain} не завершена: портал считает приложение неустановленным (app.info INSTALLED=false).`, `The install on ${row.domain} is not finished: the portal considers the app not installed (app.info INSTALLED=false).`),
        words('Откройте приложение на портале один раз: страница установки завершит её (BX24.installFinish). Или переустановите приложение.', 'Open the app on the portal once: its install page finishes it (BX24.installFinish). Or reinstall the app.'),
        { domain: row.domain }), tokensResult], usable: true };
    }
    if (info.PAYMENT_EXPIRED === 'Y') {
      return { results: [failed(INSTALL, subject,
        words(`На портале ${row.domain} истёк срок оплаты приложения (app.info PAYMENT_EXPIRED=Y): портал не выполняет его запросы.`, `The app's payment period on ${row.domain} has expired (app.info PAYMENT_EXPIRED=Y): the portal refuses its calls.`),
        words('Продлите подписку портала (тариф, Маркет) в Битрикс24.', 'Renew the portal\'s subscription (plan, Market) in Bitrix24.'), { domain: row.domain }), tokensResult], usable: false };
    }
  } catch (err) {
    return { results: [failed(INSTALL, subject, words(`Портал ${row.domain} не ответил на app.info: ${errorText(err)}`, `Portal ${row.domain} did not answer app.info: ${errorText(err)}`),
      words('Проверьте доступ к порталу с этой машины и повторите проверку; если портал отказывает — переустановите приложение.', 'Check access to the portal from this machine and run the check again; if the portal refuses, reinstall the app.'), { domain: row.domain }), tokensResult], usable: false };
  }
  return { results: [ok(INSTALL, subject, words(`Приложение установлено на портале ${row.domain}.`, `The app is installed on ${row.domain}.`), { domain: row.domain }), tokensResult], usable: true };
}
