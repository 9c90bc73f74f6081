/**
 * One logger for the engine, two faces: the Actions toolkit in a workflow, the console on the
 * command line. Secrets are registered the moment they are known; in Actions they are masked by the
 * runner (core.setSecret), and both faces redact them from anything this process prints.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string, location?: { file?: string; line?: number; column?: number }): void;
  error(message: string, location?: { file?: string; line?: number; column?: number }): void;
  debug(message: string): void;
  /** Register a secret: from now on it never appears in output */
  secret(value: string | undefined): void;
  /** Progress line that a terminal may overwrite in place */
  progress(message: string): void;
}

export class SecretRegistry {
  private readonly values = new Set<string>();

  add(value: string | undefined): boolean {
    // Short values would redact ordinary words; secrets, tokens and keys are long.
    if (!value || value.length < 6 || this.values.has(value)) return false;
    this.values.add(value);
    return true;
  }

  redact(text: string): string {
    let out = text;
    for (const v of this.values) {
      if (out.includes(v)) out = out.split(v).join('***');
    }
    return out;
  }
}

export interface ConsoleLoggerOptions {
  verbose?: boolean;
  /** Write a progress line in place (a TTY) instead of not at all */
  interactive?: boolean;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger & { registry: SecretRegistry } {
  const registry = new SecretRegistry();
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) {
      err.write('\r\x1b[2K');
      progressShown = false;
    }
  };
  const where = (l?: { file?: string; line?: number }) => (l?.file ? `${l.file}${l.line ? `:${l.line}` : ''}: ` : '');
  return {
    registry,
    info: (m) => {
      clearProgress();
      out.write(`${registry.redact(m)}\n`);
    },
    warn: (m, l) => {
      clearProgress();
      err.write(`warning: ${where(l)}${registry.redact(m)}\n`);
    },
    error: (m, l) => {
      clearProgress();
      err.write(`error: ${where(l)}${registry.redact(m)}\n`);
    },
    debug: (m) => {
      if (options.verbose) {
        clearProgress();
        err.write(`debug: ${registry.redact(m)}\n`);
      }
    },
    secret: (v) => {
      registry.add(v);
    },
    progress: (m) => {
      if (!options.interactive) return;
      err.write(`\r\x1b[2K${registry.redact(m)}`);
      progressShown = true;
    },
  };
}

/** A logger that keeps everything in memory (tests, reports) */
export function createMemoryLogger(): Logger & { lines: string[]; registry: SecretRegistry } {
  const registry = new SecretRegistry();
  const lines: string[] = [];
  const push = (level: string) => (m: string) => lines.push(`${level}: ${registry.redact(m)}`);
  return {
    registry,
    lines,
    info: push('info'),
    warn: push('warning'),
    error: push('error'),
    debug: push('debug'),
    progress: () => {},
    secret: (v) => {
      registry.add(v);
    },
  };
}

/** Everything logged goes to each logger (the Actions log, and the run's log artifact) */
export function teeLogger(...loggers: Logger[]): Logger {
  return {
    info: (m) => loggers.forEach((l) => l.info(m)),
    warn: (m, at) => loggers.forEach((l) => l.warn(m, at)),
    error: (m, at) => loggers.forEach((l) => l.error(m, at)),
    debug: (m) => loggers.forEach((l) => l.debug(m)),
    secret: (v) => loggers.forEach((l) => l.secret(v)),
    progress: (m) => loggers.forEach((l) => l.progress(m)),
  };
}
