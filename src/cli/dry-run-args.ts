/**
 * The arguments of the commands that take only `--dry-run` (`purge`, `rotate-key`, `migrate`):
 * `--help` prints the usage, an unknown argument exits 2 naming the nearest option.
 */
import { nearestName } from '../config/nearest-name.ts';

const OPTIONS = ['--dry-run', '--help'];

/** The exit code when the command ends here (help: 0, bad argument: 2), or null to go on. */
export function dryRunArgsExit(command: string, args: readonly string[], usage: string): number | null {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage);
    return 0;
  }
  const unknown = args.find((a) => !OPTIONS.includes(a));
  if (unknown === undefined) return null;
  const near = nearestName(unknown, OPTIONS);
  console.error(`${command}: неизвестный аргумент / unknown argument "${unknown}"; fix: ${near ? `did you mean "${near}"?` : 'the only option is --dry-run'}\n\n${usage}`);
  return 2;
}
