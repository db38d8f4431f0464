/**
 * `public_url.address`: PUBLIC_URL is an address MAX delivers webhooks to — https, port 443,
 * no port in the address (spec max-bot-api §2.1). Read from the configuration alone. A
 * loopback address (127.0.0.1, localhost) reaches only this machine: an emulator's set-up (the
 * sandbox, tests), skipped with a word on what production needs.
 */
import type { BridgeConfigData } from '../../config/schema.ts';
import { isLoopbackHost } from '../../config/url-rules.ts';
import { failed, ok, skip, warned, words, type CheckResult } from '../result.ts';

const ID = 'public_url.address';

export function publicUrlAddressCheck(config: BridgeConfigData): CheckResult {
  const publicUrl = config.server.public_url;
  if (publicUrl === undefined) {
    return failed(ID, 'PUBLIC_URL', words('PUBLIC_URL не задан: MAX и Битрикс24 не знают, куда слать вебхуки и события.', 'PUBLIC_URL is not set: MAX and Bitrix24 do not know where to send webhooks and events.'),
      words('Задайте PUBLIC_URL — https-адрес моста на порту 443, например https://bridge.example.ru.', 'Set PUBLIC_URL to the bridge\'s https address on port 443, e.g. https://bridge.example.ru.'));
  }
  const url = new URL(publicUrl);
  const webhookBots = config.bots.filter((b) => b.updates === 'webhook').map((b) => b.id);
  const details = { public_url: publicUrl, webhook_bots: webhookBots };
  if (isLoopbackHost(url.hostname)) {
    return skip(ID, publicUrl, words(`Адрес на этой же машине (${url.hostname}): до него дойдёт только эмулятор — песочница или тест. В рабочем режиме нужен публичный https-адрес на порту 443.`,
      `A loopback address (${url.hostname}): only an emulator on this machine reaches it — the sandbox or a test. Production needs a public https address on port 443.`), details);
  }
  const https = url.protocol === 'https:';
  const on443 = https && url.port === '';
  if (webhookBots.length === 0) {
    if (!https) {
      return warned(ID, publicUrl, words('PUBLIC_URL — http: события Битрикс24 (с ключом приложения) и ссылки на файлы идут по сети незашифрованными.', 'PUBLIC_URL is http: Bitrix24\'s events (with the application token) and file links travel unencrypted.'),
        words('Поставьте мост за HTTPS (обратный прокси с сертификатом или встроенный TLS) и задайте PUBLIC_URL с https://.', 'Put the bridge behind HTTPS (a reverse proxy with a certificate, or the built-in TLS) and set PUBLIC_URL to https://.'), details);
    }
    return ok(ID, publicUrl, words('Боты получают обновления опросом (long polling): MAX не обращается к мосту; Битрикс24 ходит на этот https-адрес.', 'The bots poll for updates: MAX never calls the bridge; Bitrix24 calls this https address.'), details);
  }
  if (!https) {
    return failed(ID, publicUrl, words(`PUBLIC_URL — http, а MAX доставляет вебхуки только по https (ботам ${webhookBots.join(', ')} обновления не придут).`, `PUBLIC_URL is http, but MAX delivers webhooks over https only (bots ${webhookBots.join(', ')} get no updates).`),
      words('Поставьте мост за HTTPS на порту 443 (обратный прокси nginx или Caddy с сертификатом публичного УЦ, или встроенный TLS) и задайте PUBLIC_URL вида https://bridge.example.ru; либо переведите ботов на опрос (updates: polling).',
        'Put the bridge behind HTTPS on port 443 (an nginx or Caddy reverse proxy with a public CA\'s certificate, or the built-in TLS) and set PUBLIC_URL to https://bridge.example.ru; or switch the bots to polling (updates: polling).'), details);
  }
  if (!on443) {
    return failed(ID, publicUrl, words(`PUBLIC_URL не на порту 443 (порт ${url.port}): MAX доставляет вебхуки только на 443 и без порта в адресе (ботам ${webhookBots.join(', ')} обновления не придут).`,
      `PUBLIC_URL is not on port 443 (port ${url.port}): MAX delivers webhooks only to 443 with no port in the address (bots ${webhookBots.join(', ')} get no updates).`),
    words('Примите HTTPS на 443 (обратный прокси на 443 перед мостом, или встроенный TLS на 443) и уберите порт из PUBLIC_URL; либо переведите ботов на опрос (updates: polling).',
      'Serve HTTPS on 443 (a reverse proxy on 443 in front of the bridge, or the built-in TLS on 443) and drop the port from PUBLIC_URL; or switch the bots to polling (updates: polling).'), details);
  }
  return ok(ID, publicUrl, words('Адрес подходит MAX: https, порт 443.', 'An address MAX delivers to: https, port 443.'), details);
}
