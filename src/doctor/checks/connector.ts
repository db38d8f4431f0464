/**
 * `bitrix24.connector`: on each line the bridge has set up, the MAX connector is active
 * (`imconnector.status`, as the maintenance run asks it for paused lines). A connector switched
 * off in the Contact Center, or a line deleted, stops the line: client messages wait in the
 * bridge and operators' replies do not come. The bridge's own view (a paused line, with why)
 * is given beside the portal's.
 */
import type { PortalConfig } from '../../config/schema.ts';
import type { LineState } from '../../store/repos/readiness-repo.ts';
import { isStore, type DoctorContext } from '../deps.ts';
import { errorText, failed, ok, skip, warned, words, type CheckResult, type Words } from '../result.ts';
import { withTimeLimit } from '../time-limit.ts';

const ID = 'bitrix24.connector';

interface ConnectorStatus {
  STATUS?: boolean;
  CONFIGURED?: boolean;
  CONNECTION?: boolean;
  REGISTER?: boolean;
  ERROR?: boolean;
}

function activateFix(lineId: number): Words {
  return words(
    `Включите коннектор MAX на линии ${lineId}: Битрикс24 → Контакт-центр → MAX → линия ${lineId} → «Подключить». Мост пробует включить его сам каждые 10 минут, пока линия существует. Если линию удалили — выберите другую в настройках коннектора (или portals[].line_id) и перезапустите мост.`,
    `Switch the MAX connector on for line ${lineId}: Bitrix24 → Contact Center → MAX → line ${lineId} → "Connect". The bridge tries to switch it on by itself every 10 minutes while the line exists. If the line was deleted, pick another in the connector's settings (or portals[].line_id) and restart the bridge.`,
  );
}

export async function connectorChecks(ctx: DoctorContext, portal: PortalConfig, portalUsable: boolean): Promise<CheckResult[]> {
  const subject = `portal ${portal.id}`;
  if (!portalUsable) return [skip(ID, subject, words('Не проверено: портал недоступен (bitrix24.install, bitrix24.tokens).', 'Not checked: the portal is not usable (bitrix24.install, bitrix24.tokens).'))];
  if (!isStore(ctx.store)) return [skip(ID, subject, words('Не проверено: база данных недоступна.', 'Not checked: the database is unavailable.'))];
  let lines: LineState[];
  try {
    lines = (await withTimeLimit(ctx.store.readiness.lineStates(), ctx.timeoutMs, 'the database')).filter((l) => l.portalId === portal.id);
  } catch (err) {
    return [skip(ID, subject, words(`Не проверено: линии не прочитаны из базы (${errorText(err)}).`, `Not checked: the lines could not be read from the database (${errorText(err)}).`))];
  }
  if (lines.length === 0) {
    return [failed(ID, subject,
      words('На портале нет ни одной линии, подключённой мостом: настройка после установки не прошла или ещё идёт.', 'No line on the portal is connected by the bridge: the setup after the install did not succeed or is still running.'),
      words('Посмотрите журнал моста (component: setup) и /ready; переустановка приложения запускает настройку заново. Линию можно выбрать и в Контакт-центре: MAX → «Подключить».',
        'See the bridge\'s log (component: setup) and /ready; reinstalling the app runs the setup again. A line can also be picked in the Contact Center: MAX → "Connect".'))];
  }
  const client = ctx.bitrixClient(portal.id);
  const results: CheckResult[] = [];
  for (const line of lines) {
    const lineSubject = `portal ${portal.id}, line ${line.lineId}`;
    const ours = { bridge_state: line.state, bridge_reason: line.pausedReason };
    let status: ConnectorStatus;
    try {
      status = await withTimeLimit(client.call<ConnectorStatus>(portal.id, 'imconnector.status', { CONNECTOR: ctx.connectorId, LINE: line.lineId }, { idempotent: true }), ctx.timeoutMs, 'imconnector.status');
    } catch (err) {
      results.push(failed(ID, lineSubject, words(`Портал не сообщил состояние коннектора на линии ${line.lineId}: ${errorText(err)}`, `The portal did not report the connector's state on line ${line.lineId}: ${errorText(err)}`),
        activateFix(line.lineId), ours));
      continue;
    }
    const details = { ...ours, status: status.STATUS ?? null, configured: status.CONFIGURED ?? null, connection: status.CONNECTION ?? null, register: status.REGISTER ?? null };
    if (!status.STATUS) {
      results.push(failed(ID, lineSubject,
        words(`Коннектор MAX на линии ${line.lineId} не активен${status.CONFIGURED === false ? ' (не подключён к линии)' : ''}: сообщения клиентов ждут в мосту, ответы операторов не приходят.${line.pausedReason ? ` Мост: ${line.pausedReason}` : ''}`,
          `The MAX connector is not active on line ${line.lineId}${status.CONFIGURED === false ? ' (not connected to the line)' : ''}: client messages wait in the bridge; operators' replies do not come.${line.pausedReason ? ` The bridge says: ${line.pausedReason}` : ''}`),
        activateFix(line.lineId), details));
      continue;
    }
    if (line.state === 'paused') {
      results.push(warned(ID, lineSubject,
        words(`Коннектор на линии ${line.lineId} активен, но мост держит линию на паузе (${line.pausedReason ?? 'причина не записана'}): сообщения пока ждут.`, `The connector on line ${line.lineId} is active, but the bridge holds the line paused (${line.pausedReason ?? 'no reason recorded'}): messages wait for now.`),
        words('Мост снимет паузу сам при следующем обслуживании (каждые 10 минут); чтобы не ждать — перезапустите мост.', 'The bridge resumes the line by itself at the next maintenance (every 10 minutes); restart it not to wait.'), details));
      continue;
    }
    results.push(ok(ID, lineSubject, words(`Коннектор MAX на линии ${line.lineId} активен.`, `The MAX connector is active on line ${line.lineId}.`), details));
  }
  return results;
}
