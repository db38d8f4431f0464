/**
 * `max.tls`: the TLS chain of the MAX API verifies with the roots this Node trusts — its
 * bundled ones plus NODE_EXTRA_CA_CERTS, what the bridge's calls use. platform-api2.max.ru is
 * served under a chain ending at the Russian Ministry of Digital Development root CA
 * (Минцифры, "Russian Trusted Root CA"), which Node does not bundle and many distributions lack
 * (spec max-bot-api §1). When the chain does not verify, the finding names the root it ends at
 * and whether the operating system trusts it (then only Node needs telling).
 */
import { existsSync } from 'node:fs';
import type { DoctorContext } from '../deps.ts';
import { failed, ok, skip, words, type CheckResult, type Words } from '../result.ts';
import { connectionErrorCode, probeTls, readPemFile, rootNameOf, trustedRoots, type TlsProbe } from '../tls-probe.ts';
import { unreachableFix } from './max-token.ts';

const ID = 'max.tls';

/** Debian's and Ubuntu's bundle of the roots the system trusts (update-ca-certificates writes it). */
export const DEBIAN_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

/** Where an administrator puts the root on Debian/Ubuntu (the name is ours; any *.crt there is taken). */
const MINTSIFRY_ROOT_FILE = '/usr/local/share/ca-certificates/russian_trusted_root_ca.crt';

/** The errors of a chain whose root is not among the trusted ones. */
const UNTRUSTED_ROOT = new Set(['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'DEPTH_ZERO_SELF_SIGNED_CERT']);

export const isMintsifryRoot = (name: string): boolean => /russian trusted/i.test(name);

/** How to install the Минцифры root on Debian/Ubuntu and make Node trust it (docs/operations.md says the same). */
export const INSTALL_MINTSIFRY_ROOT: Words = words(
  `Установите корневой сертификат Минцифры России («Russian Trusted Root CA», скачать: https://www.gosuslugi.ru/crt). Debian/Ubuntu: sudo cp russian_trusted_root_ca.crt ${MINTSIFRY_ROOT_FILE} && sudo update-ca-certificates. Node не читает хранилище системы: задайте мосту переменную NODE_EXTRA_CA_CERTS=${MINTSIFRY_ROOT_FILE} (systemd: Environment=, Docker: ENV; читается только при запуске — перезапустите мост) или на Node 24 NODE_OPTIONS=--use-system-ca.`,
  `Install the Russian Ministry of Digital Development root certificate ("Russian Trusted Root CA", from https://www.gosuslugi.ru/crt). Debian/Ubuntu: sudo cp russian_trusted_root_ca.crt ${MINTSIFRY_ROOT_FILE} && sudo update-ca-certificates. Node does not read the system's store: give the bridge NODE_EXTRA_CA_CERTS=${MINTSIFRY_ROOT_FILE} (systemd: Environment=, Docker: ENV; read at start only — restart the bridge), or on Node 24 NODE_OPTIONS=--use-system-ca.`,
);

/** What NODE_EXTRA_CA_CERTS holds, in words, when it is set. */
function extraCaNote(env: NodeJS.ProcessEnv): Words {
  const path = env.NODE_EXTRA_CA_CERTS;
  if (!path) return words(' NODE_EXTRA_CA_CERTS не задана.', ' NODE_EXTRA_CA_CERTS is not set.');
  const count = readPemFile(path).length;
  if (!existsSync(path) || count === 0) {
    return words(` NODE_EXTRA_CA_CERTS=${path} задана, но файл не читается или в нём нет сертификатов.`, ` NODE_EXTRA_CA_CERTS=${path} is set, but the file cannot be read or holds no certificate.`);
  }
  return words(` NODE_EXTRA_CA_CERTS=${path} (сертификатов: ${count}) не содержит этого корня.`, ` NODE_EXTRA_CA_CERTS=${path} (${count} certificate(s)) does not hold this root.`);
}

async function systemTrusts(ctx: DoctorContext, host: string, port: number): Promise<boolean> {
  const bundle = readPemFile(ctx.systemCaFile ?? DEBIAN_CA_BUNDLE);
  if (bundle.length === 0) return false;
  return probeTls(host, port, { ca: bundle, timeoutMs: ctx.timeoutMs }).then((p) => p.authorized, () => false);
}

function chainDetails(apiUrl: string, probe: TlsProbe): Record<string, unknown> {
  return { api_url: apiUrl, error: probe.error, root: rootNameOf(probe.chain), chain: probe.chain.map((c) => ({ subject: c.subject, issuer: c.issuer, valid_to: new Date(c.validToMs).toISOString() })) };
}

export async function maxTlsCheck(ctx: DoctorContext, apiUrl: string): Promise<CheckResult> {
  const url = new URL(apiUrl);
  const subject = url.host;
  if (url.protocol !== 'https:') {
    return skip(ID, subject, words(`max.api_url ${apiUrl} — не https (эмулятор на этой машине): TLS не проверяется.`, `max.api_url ${apiUrl} is not https (an emulator on this machine): no TLS to check.`));
  }
  const port = Number(url.port || 443);
  const env = ctx.env ?? process.env;
  let probe: TlsProbe;
  try {
    probe = await probeTls(url.hostname, port, { ca: trustedRoots(ctx.extraCaPem, env), timeoutMs: ctx.timeoutMs });
  } catch (err) {
    return failed(ID, subject, words(`Нет TLS-соединения с ${subject}: ${connectionErrorCode(err)}.`, `No TLS connection to ${subject}: ${connectionErrorCode(err)}.`), unreachableFix(apiUrl), { api_url: apiUrl });
  }
  const root = rootNameOf(probe.chain);
  if (probe.authorized) {
    return ok(ID, subject, words(`Цепочка сертификатов проверена, корень — «${root}».`, `The certificate chain verifies; its root is "${root}".`), chainDetails(apiUrl, probe));
  }
  const error = probe.error ?? 'UNKNOWN';
  if (UNTRUSTED_ROOT.has(error)) {
    const mintsifry = isMintsifryRoot(root) || probe.chain.some((c) => isMintsifryRoot(c.issuer));
    const systemOk = await systemTrusts(ctx, url.hostname, port);
    const note = extraCaNote(env);
    const rootWords = mintsifry
      ? words(`корневой сертификат Минцифры России («${root}»)`, `the Russian Ministry of Digital Development root CA ("${root}")`)
      : words(`корень «${root}»`, `the root "${root}"`);
    const systemWords = systemOk
      ? words(' Система ему доверяет (он есть в хранилище ОС), но Node хранилище ОС не читает.', ' The system trusts it (it is in the OS store), but Node does not read the OS store.')
      : words('', '');
    return failed(ID, subject,
      words(`Цепочка сертификатов ${subject} не проверяется (${error}): она ведёт к ${rootWords.ru}, которому здесь не доверяют.${systemWords.ru}${note.ru} Без этого мост не может обращаться к API MAX.`,
        `The certificate chain of ${subject} does not verify (${error}): it leads to ${rootWords.en}, which is not trusted here.${systemWords.en}${note.en} Without it the bridge cannot call the MAX API.`),
      systemOk
        ? words(`Задайте мосту NODE_EXTRA_CA_CERTS=${MINTSIFRY_ROOT_FILE} (файл корневого сертификата; весь набор ОС — ${DEBIAN_CA_BUNDLE}) или на Node 24 NODE_OPTIONS=--use-system-ca, затем перезапустите мост.`,
          `Give the bridge NODE_EXTRA_CA_CERTS=${MINTSIFRY_ROOT_FILE} (the root's file; the OS's whole set is ${DEBIAN_CA_BUNDLE}) or, on Node 24, NODE_OPTIONS=--use-system-ca, then restart the bridge.`)
        : INSTALL_MINTSIFRY_ROOT,
      { ...chainDetails(apiUrl, probe), system_trusts: systemOk, node_extra_ca_certs: env.NODE_EXTRA_CA_CERTS ?? null });
  }
  if (error === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return failed(ID, subject,
      words(`Сертификат, полученный от ${subject}, выдан на другое имя: max.api_url указывает не туда или TLS перехватывает прокси.`, `The certificate ${subject} presented is for another name: max.api_url points elsewhere or a proxy intercepts TLS.`),
      words('Проверьте max.api_url (по умолчанию https://platform-api2.max.ru) и прокси между этой машиной и MAX.', 'Check max.api_url (default https://platform-api2.max.ru) and any proxy between this machine and MAX.'),
      chainDetails(apiUrl, probe));
  }
  if (error === 'CERT_HAS_EXPIRED' || error === 'CERT_NOT_YET_VALID') {
    return failed(ID, subject,
      words(`Сертификат ${subject} просрочен или ещё не действует (${error}) — по часам этой машины.`, `The certificate of ${subject} is expired or not yet valid (${error}) by this machine's clock.`),
      words('Проверьте часы этой машины (проверка clock.skew, NTP: timedatectl status).', 'Check this machine\'s clock (check clock.skew; NTP: timedatectl status).'),
      chainDetails(apiUrl, probe));
  }
  return failed(ID, subject, words(`Цепочка сертификатов ${subject} не проверяется: ${error}.`, `The certificate chain of ${subject} does not verify: ${error}.`), INSTALL_MINTSIFRY_ROOT, chainDetails(apiUrl, probe));
}
