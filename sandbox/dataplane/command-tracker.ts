/** A command that waits for its device's ack. */
export interface PendingCommand {
  id: string;
  device: string;
  attempts: number;
  lastSentAtMs: number;
}

/** Options of {@link CommandTracker}. */
export interface CommandTrackerOptions {
  /** Resend a command that has no ack after this long, in milliseconds. */
  resendAfterMs: number;
  /** Publishes (again) one command. */
  send: (command: PendingCommand) => void;
  /** @default Date.now */
  now?: () => number;
}

/**
 * At-least-once commands at application level: a command is resent until its device acks it,
 * because the device may be moving between brokers when it is sent and MQTT's own QoS 1 only
 * covers one hop.
 */
export class CommandTracker {
  private readonly pending = new Map<string, PendingCommand>();
  private readonly now: () => number;
  resends = 0;
  acked = 0;

  constructor(private readonly options: CommandTrackerOptions) {
    this.now = options.now ?? Date.now;
  }

  get outstanding(): number {
    return this.pending.size;
  }

  /** Sends a new command and keeps it until acked. */
  issue(id: string, device: string): void {
    const command = { id, device, attempts: 1, lastSentAtMs: this.now() };
    this.pending.set(id, command);
    this.options.send(command);
  }

  /** Records an ack; true when it closed a pending command (false for a duplicate ack). */
  ack(id: string): boolean {
    const closed = this.pending.delete(id);
    if (closed) this.acked += 1;
    return closed;
  }

  /** Resends every command whose ack is overdue; call it on a timer. */
  resendOverdue(): void {
    const now = this.now();
    for (const command of this.pending.values()) {
      if (now - command.lastSentAtMs < this.options.resendAfterMs) continue;
      command.attempts += 1;
      command.lastSentAtMs = now;
      this.resends += 1;
      this.options.send(command);
    }
  }
}
