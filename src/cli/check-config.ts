/**
 * `npm run check-config`: validates the configuration exactly as `npm start`
 * would and prints every problem (exit 1), or «Конфигурация в порядке» (exit 0).
 */
import { formatConfigErrors, formatConfigWarnings, loadConfigFromProcess } from '../config/load-from-process.ts';
import { certificateNotices, readCertificatePair, tlsFilesOf, TlsFilesError, type CertificatePair } from '../http/tls-certificate.ts';

const result = loadConfigFromProcess();
if (result.warnings.length > 0) console.error(formatConfigWarnings(result.warnings));
if (!result.ok) {
  console.error(formatConfigErrors(result.errors));
  process.exit(1);
}
const { config, mode } = result;
// Built-in HTTPS: the pair `npm start` would read, read now (an unusable one stops the start; docs/tls.md).
const tlsFiles = tlsFilesOf(config.server.tls);
let tlsPair: CertificatePair | null = null;
if (tlsFiles) {
  try {
    tlsPair = readCertificatePair(tlsFiles);
  } catch (err) {
    if (!(err instanceof TlsFilesError)) throw err;
    console.error(formatConfigErrors([err.message]));
    process.exit(1);
  }
  const notices = certificateNotices(tlsPair, { publicUrl: config.server.public_url, nowMs: Date.now() });
  if (notices.length > 0) console.error(formatConfigWarnings(notices.map((n) => `server.tls.cert_file: ${n.message}`)));
}
const summary = mode === 'sandbox'
  ? 'песочница: эмуляторы MAX и Битрикс24 / sandbox: MAX and Bitrix24 emulators'
  : `рабочий режим: ботов ${config.bots.length}, порталов ${config.portals.length}, маршрутов ${config.routes.length} / production: ${config.bots.length} bot(s), ${config.portals.length} portal(s), ${config.routes.length} route(s)`;
console.log(`Конфигурация в порядке (${summary}). Configuration OK.`);
if (tlsPair) console.log(`HTTPS: сертификат ${tlsPair.subject}, до ${new Date(tlsPair.validToMs).toISOString().slice(0, 10)}, SHA-256 ${tlsPair.fingerprint256} / certificate valid to that date.`);
