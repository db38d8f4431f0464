/**
 * Progress of a long command (purge, erase, export over many rows): a bar on a terminal
 * (cli-progress, on stderr so the command's own output stays clean for a pipe), and on
 * anything else (a log file, CI, a pipe) a plain line at most every PLAIN_EVERY_MS and one
 * at the end, so a log shows the command moving without a line per row.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** The work grew or its size became known. */
  setTotal(total: number): void;
  /** `done` units more finished. */
  advance(done: number, stage?: string): void;
  stop(): void;
}

/** Least time between two plain lines, ms. */
const PLAIN_EVERY_MS = 2_000;

export interface ProgressOptions {
  /** What is being done, shown before the bar or at the start of each line: «удаление / purge». */
  label: string;
  total: number;
  /** Where it is written; default process.stderr. */
  stream?: NodeJS.WriteStream;
  /** Force the plain lines (tests); default: a bar when the stream is a terminal. */
  plain?: boolean;
  nowMs?: () => number;
}

export function startProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const nowMs = options.nowMs ?? Date.now;
  let total = options.total;
  let value = 0;
  let stage = '';
  if (!options.plain && stream.isTTY) {
    const bar = new cliProgress.SingleBar({
      stream, format: `${options.label} [{bar}] {percentage}% {value}/{total} {stage}`, hideCursor: true, clearOnComplete: false,
    }, cliProgress.Presets.shades_classic);
    bar.start(total, 0, { stage });
    return {
      setTotal(next) {
        total = next;
        bar.setTotal(next);
      },
      advance(done, nextStage) {
        value += done;
        stage = nextStage ?? stage;
        bar.update(value, { stage });
      },
      stop: () => bar.stop(),
    };
  }
  let lastMs = nowMs();
  const line = () => stream.write(`${options.label}: ${value}/${total}${stage ? ` ${stage}` : ''}\n`);
  return {
    setTotal(next) {
      total = next;
    },
    advance(done, nextStage) {
      value += done;
      stage = nextStage ?? stage;
      if (nowMs() - lastMs >= PLAIN_EVERY_MS) {
        lastMs = nowMs();
        line();
      }
    },
    stop: line,
  };
}
