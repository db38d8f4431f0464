/**
 * Reading the Dockerfile, .dockerignore and Compose's env files the way Docker does, far
 * enough for test/e2e/packaging.test.ts to check the image's commands outside Docker (no
 * engine runs on the test machines): stages and their instructions with ARG defaults
 * substituted, exec-form (JSON) commands, which context paths .dockerignore lets in.
 */

export interface Instruction {
  keyword: string;
  /** Everything after the keyword, continuation lines joined. */
  args: string;
}

export interface Stage {
  name: string;
  /** The base image, ARG defaults substituted (`node:20-bookworm-slim`). */
  from: string;
  instructions: Instruction[];
}

/** Joins `\` continuations, drops comments and blank lines; substitutes global ARG defaults in FROM. */
export function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(`${pending}${line}`.trim());
    pending = '';
  }
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = keyword.toUpperCase();
    if (upper === 'ARG' && stages.length === 0) {
      const [name = '', value = ''] = rest.split('=');
      args.set(name.trim(), value.trim());
      continue;
    }
    if (upper === 'FROM') {
      const substituted = rest.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string | undefined, b: string | undefined) => args.get((a ?? b) as string) ?? '');
      const [, from = '', name = ''] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(substituted) ?? [];
      stages.push({ name: name || String(stages.length), from, instructions: [] });
      continue;
    }
    const stage = stages[stages.length - 1];
    if (!stage) throw new Error(`Dockerfile: ${keyword} before any FROM`);
    stage.instructions.push({ keyword: upper, args: rest });
  }
  return stages;
}

/** The instructions of a stage with this keyword. */
export function instructionsOf(stage: Stage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
}

/** `ENV A=1 B=2` (and the old `ENV A 1`), `$NAME` left as written. */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const args of instructionsOf(stage, 'ENV')) {
    if (!args.includes('=')) {
      const [name = '', ...value] = args.split(/\s+/);
      env[name] = value.join(' ');
      continue;
    }
    for (const pair of args.match(/\S+=("[^"]*"|\S*)/g) ?? []) {
      const at = pair.indexOf('=');
      env[pair.slice(0, at)] = pair.slice(at + 1).replace(/^"|"$/g, '');
    }
  }
  return env;
}

/** An exec-form command (`["node", "x.mjs"]`) after any `--flag=value` options (HEALTHCHECK's). */
export function execForm(args: string): { flags: string[]; argv: string[] } {
  const flags: string[] = [];
  let rest = args.trim();
  while (rest.startsWith('--')) {
    const [flag = '', ...tail] = rest.split(/\s+/);
    flags.push(flag);
    rest = tail.join(' ');
  }
  if (rest.startsWith('CMD ')) rest = rest.slice(4).trim();
  const argv = JSON.parse(rest) as unknown;
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) throw new Error(`not an exec-form command: ${args}`);
  return { flags, argv };
}

export interface Copy {
  /** `--from=<stage>`, or null for the build context. */
  from: string | null;
  sources: string[];
  destination: string;
}

export function copiesOf(stage: Stage): Copy[] {
  return instructionsOf(stage, 'COPY').map((args) => {
    const words = args.split(/\s+/);
    const flags = words.filter((w) => w.startsWith('--'));
    const paths = words.filter((w) => !w.startsWith('--'));
    const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length) ?? null;
    return { from, sources: paths.slice(0, -1), destination: paths[paths.length - 1] as string };
  });
}

/**
 * Whether .dockerignore lets a context path in: the last pattern matching the path or one of
 * its parent folders decides (`*` matches any top-level name; `!x` lets x back in). Enough for
 * the list-of-allowed-paths style this repository uses.
 */
export function dockerignoreAllows(dockerignore: string, path: string): boolean {
  const patterns = dockerignore.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const parts = path.replace(/^\.\//, '').replace(/\/$/, '').split('/');
  const prefixes = parts.map((_p, i) => parts.slice(0, i + 1).join('/'));
  let allowed = true;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = raw.replace(/^!/, '').replace(/^\//, '').replace(/\/$/, '');
    const matches = prefixes.some((p) => pattern === '*' ? !p.includes('/') : p === pattern);
    if (matches) allowed = negated;
  }
  return allowed;
}

/** `KEY=value` lines of an env file (Compose's env_file, systemd's EnvironmentFile=); comments skipped. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1] as string] = (m[2] as string).trim().replace(/^"(.*)"$/, '$1');
  }
  return env;
}

/** A systemd unit's sections and their keys (a key set twice keeps every value, in order). */
export function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1] as string, current);
      continue;
    }
    const at = line.indexOf('=');
    if (at < 0 || !current) throw new Error(`unit: cannot read "${line}"`);
    const key = line.slice(0, at).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(at + 1).trim()]);
  }
  return sections;
}
