// Progress line for long runs: tasks done, current stage, tokens per second and time left.
// Writes to a stream given by the command line (stderr); on a terminal it redraws one line.

export interface ProgressState {
  tasksDone: number;
  tasksTotal: number;
  stage: string;
  taskId?: number;
}

export class ProgressLine {
  private readonly startedAt = Date.now();
  private tokens = 0;
  private tokenMillis = 0;
  private lastDraw = 0;
  private readonly isTty: boolean;

  constructor(private readonly stream: NodeJS.WriteStream, private readonly minIntervalMs = 200) {
    this.isTty = Boolean(stream.isTTY);
  }

  /** Adds generated tokens and the wall time they took, for the tokens-per-second figure. */
  addTokens(count: number, millis: number): void {
    this.tokens += count;
    this.tokenMillis += millis;
  }

  update(state: ProgressState, force = false): void {
    const now = Date.now();
    if (!force && now - this.lastDraw < this.minIntervalMs) return;
    this.lastDraw = now;
    const line = formatProgress(state, {
      elapsedMs: now - this.startedAt,
      tokensPerSecond: this.tokenMillis > 0 ? (this.tokens * 1000) / this.tokenMillis : 0,
      width: this.isTty ? (this.stream.columns ?? 100) : 100,
    });
    if (this.isTty) this.stream.write(`\r\x1b[2K${line}`);
    else this.stream.write(`${line}\n`);
  }

  finish(): void {
    if (this.isTty) this.stream.write('\n');
  }
}

export function formatProgress(
  state: ProgressState,
  timing: { elapsedMs: number; tokensPerSecond: number; width: number },
): string {
  const { tasksDone, tasksTotal } = state;
  const fraction = tasksTotal > 0 ? tasksDone / tasksTotal : 0;
  const barWidth = 20;
  const filled = Math.round(fraction * barWidth);
  const bar = '#'.repeat(filled) + '-'.repeat(barWidth - filled);
  const remainingMs = tasksDone > 0 ? (timing.elapsedMs / tasksDone) * (tasksTotal - tasksDone) : NaN;
  const task = state.taskId !== undefined ? ` task ${state.taskId}` : '';
  const line =
    `[${bar}] ${tasksDone}/${tasksTotal} tasks |${task} ${state.stage} | ` +
    `${timing.tokensPerSecond.toFixed(1)} tok/s | elapsed ${formatDuration(timing.elapsedMs)} | left ${formatDuration(remainingMs)}`;
  return line.length > timing.width ? line.slice(0, timing.width - 1) : line;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '?';
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s).padStart(2, '0')}s`;
}
