// Levelled logger. Library code logs through it and never prints; the command line sets the sink.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogSink = (level: LogLevel, message: string) => void;

let minLevel: LogLevel = 'info';
let sink: LogSink = (level, message) => process.stderr.write(`[${level}] ${message}\n`);

export function setLogLevel(level: LogLevel): void {
  minLevel = level;
}

export function setLogSink(next: LogSink): void {
  sink = next;
}

function emit(level: LogLevel, message: string): void {
  if (ORDER[level] >= ORDER[minLevel]) sink(level, message);
}

export const log = {
  debug: (message: string) => emit('debug', message),
  info: (message: string) => emit('info', message),
  warn: (message: string) => emit('warn', message),
  error: (message: string) => emit('error', message),
};
