/**
 * `npm run bridge -- user add <name> --role admin|viewer | list | passwd <name> | remove <name> | unlock <name>`:
 * the admin web UI's users (docs/admin-ui.md), in the store the configuration names (as the other
 * data commands open it, src/cli/cli-store.ts). A password is read from stdin with
 * `--password-stdin` or when stdin is not a terminal (one line), else asked twice without echo;
 * at least PASSWORD_MIN_LENGTH characters. A new password ends the user's sessions and lifts a lock.
 *
 * Exit 0: done; 1: no such user / the name is taken; 2: bad usage or configuration.
 */
import { parseArgs } from 'node:util';
import { LOCKOUT_FAILURES, LOCKOUT_MS } from '../admin/access.ts';
import { hashPassword, passwordProblem, PASSWORD_MIN_LENGTH } from '../admin/password.ts';
import { nearestName } from '../config/nearest-name.ts';
import type { Store } from '../store/open-store.ts';
import { openCliStore } from './cli-store.ts';

export const USER_USAGE = [
  'Использование / usage:',
  '  npm run bridge -- user add <name> --role admin|viewer [--password-stdin]',
  '  npm run bridge -- user list [--json]',
  '  npm run bridge -- user passwd <name> [--password-stdin]',
  '  npm run bridge -- user remove <name>',
  '  npm run bridge -- user unlock <name>',
  '',
  `Пользователи веб-интерфейса /admin/ (docs/admin-ui.md). admin — всё, viewer — только просмотр, персональные данные скрыты.`,
  `Пароль — не короче ${PASSWORD_MIN_LENGTH} символов: из stdin (--password-stdin или не терминал) или вводится дважды без эха.`,
  `После ${LOCKOUT_FAILURES} неверных паролей подряд вход закрыт на ${LOCKOUT_MS / 60_000} минут; unlock открывает сразу.`,
  `Users of the /admin/ web UI. admin: everything; viewer: read-only, personal data masked. Passwords: ${PASSWORD_MIN_LENGTH}+ characters,`,
  `from stdin (--password-stdin, or when it is not a terminal) or typed twice without echo. ${LOCKOUT_FAILURES} wrong passwords in a row lock`,
  `the account for ${LOCKOUT_MS / 60_000} minutes; unlock lifts it at once.`,
].join('\n');

const SUBCOMMANDS = ['add', 'list', 'passwd', 'remove', 'unlock'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];
/** A user name: letters, digits, `.`, `_`, `@`, `-`; 1–64 characters (it shows in the UI and the log). */
const NAME = /^[\p{L}\p{N}._@-]{1,64}$/u;

function fail(problem: string): number {
  console.error(`user: ${problem}\n\n${USER_USAGE}`);
  return 2;
}

/** One line of stdin (the trailing newline dropped). */
async function passwordFromStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** Asks on the terminal without echo; null when the person pressed Ctrl+C or Ctrl+D. */
function askHidden(prompt: string): Promise<string | null> {
  return new Promise((resolve) => {
    process.stderr.write(prompt);
    const stdin = process.stdin;
    stdin.setRawMode(true);
    stdin.resume();
    let typed = '';
    const done = (value: string | null) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      resolve(value);
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done(typed);
        if (ch === '\u0003' || ch === '\u0004') return done(null);
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += ch;
      }
      return undefined;
    };
    stdin.on('data', onData);
  });
}

/** The new password (checked), or an exit code after saying why not. */
async function newPassword(fromStdin: boolean): Promise<string | number> {
  let password: string | null;
  if (fromStdin || !process.stdin.isTTY) {
    password = await passwordFromStdin();
  } else {
    password = await askHidden('Пароль / password: ');
    if (password === null) return 1;
    const again = await askHidden('Ещё раз / again: ');
    if (again === null) return 1;
    if (again !== password) return fail('пароли не совпадают / the passwords differ; fix: type the same password twice');
  }
  const problem = passwordProblem(password);
  return problem ? fail(`${problem}; fix: choose a longer password`) : password;
}

async function withStore(run: (store: Store) => Promise<number>): Promise<number> {
  const opened = await openCliStore('user');
  if (!opened.ok) return opened.exitCode;
  try {
    return await run(opened.store);
  } finally {
    await opened.store.close();
  }
}

const noUser = (name: string) => {
  console.error(`user: пользователя «${name}» нет / no user "${name}"; fix: see npm run bridge -- user list`);
  return 1;
};

async function list(json: boolean): Promise<number> {
  return withStore(async (store) => {
    const users = await store.adminUsers.list();
    const now = Date.now();
    if (json) {
      console.log(JSON.stringify(users.map((u) => ({
        username: u.username, role: u.role, locked_until: u.lockedUntilMs !== null && u.lockedUntilMs > now ? new Date(u.lockedUntilMs).toISOString() : null,
        last_login: u.lastLoginMs === null ? null : new Date(u.lastLoginMs).toISOString(), created: new Date(u.createdAtMs).toISOString(),
      })), null, 2));
      return 0;
    }
    if (users.length === 0) console.log('Пользователей нет; добавьте: npm run bridge -- user add <name> --role admin. No users yet.');
    for (const u of users) {
      const locked = u.lockedUntilMs !== null && u.lockedUntilMs > now ? `заблокирован до / locked until ${new Date(u.lockedUntilMs).toISOString()}` : '';
      console.log([u.username, u.role, u.lastLoginMs === null ? 'не входил / never logged in' : `вход / last login ${new Date(u.lastLoginMs).toISOString()}`, locked].filter(Boolean).join('\t'));
    }
    return 0;
  });
}

export async function userCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h') {
    console.log(USER_USAGE);
    return 0;
  }
  if (!(SUBCOMMANDS as readonly string[]).includes(sub ?? '')) {
    const near = sub === undefined ? undefined : nearestName(sub, [...SUBCOMMANDS]);
    return fail(`${sub === undefined ? 'which subcommand?' : `unknown subcommand "${sub}"`}; fix: ${near ? `did you mean "user ${near}"?` : `write one of: ${SUBCOMMANDS.join(', ')}`}`);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, strict: true, allowPositionals: true, options: { role: { type: 'string' }, 'password-stdin': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } } });
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
  const { values, positionals } = parsed;
  const command = sub as Subcommand;
  if (command === 'list') return positionals.length > 0 ? fail('list takes no name') : list(values.json);
  const [name, extra] = positionals;
  if (name === undefined) return fail(`${command} needs a user name; fix: npm run bridge -- user ${command} <name>`);
  if (extra !== undefined) return fail(`one user name only (got "${name}" and "${extra}")`);
  if (!NAME.test(name)) return fail(`"${name}" is not a user name: 1–64 letters, digits, ".", "_", "@" or "-"`);
  if (command === 'add') {
    if (values.role !== 'admin' && values.role !== 'viewer') return fail(values.role === undefined ? 'add needs --role admin or --role viewer' : `--role ${values.role}: must be admin or viewer`);
  } else if (values.role !== undefined) {
    return fail(`--role is for add only; fix: remove the user and add them again with the new role`);
  }
  if (command !== 'add' && command !== 'passwd' && values['password-stdin']) return fail(`--password-stdin is for add and passwd only`);
  const password = command === 'add' || command === 'passwd' ? await newPassword(values['password-stdin']) : null;
  if (typeof password === 'number') return password;
  return withStore(async (store) => {
    const users = store.adminUsers;
    switch (command) {
      case 'add':
        if (!(await users.add(name, values.role as 'admin' | 'viewer', await hashPassword(password as string)))) {
          console.error(`user: «${name}» уже есть / "${name}" exists; fix: npm run bridge -- user passwd ${name} to change the password`);
          return 1;
        }
        console.log(`Добавлен / added: ${name} (${values.role})`);
        return 0;
      case 'passwd':
        if (!(await users.setPassword(name, await hashPassword(password as string)))) return noUser(name);
        console.log(`Пароль изменён, сеансы завершены / password changed, sessions ended: ${name}`);
        return 0;
      case 'remove':
        if (!(await users.remove(name))) return noUser(name);
        console.log(`Удалён / removed: ${name}`);
        return 0;
      case 'unlock':
        if (!(await users.unlock(name))) return noUser(name);
        console.log(`Разблокирован / unlocked: ${name}`);
        return 0;
    }
  });
}
