/**
 * Runs `step` over and over, in up to `maxLanes` lanes at once, until a step finds nothing to do and nobody
 * woke the loop meanwhile. A step answers whether it did anything; `true` with `more` asks for another lane
 * (a backlog).
 */
export class WorkLoop {
  private readonly lanes = new Set<Promise<void>>();
  private wanted = false;

  constructor(
    private readonly step: (more: () => void) => Promise<boolean>,
    private readonly maxLanes: number,
    private readonly failed: (error: unknown) => void,
  ) {}

  get running(): boolean {
    return this.lanes.size > 0;
  }

  wake(): void {
    this.wanted = true;
    if (!this.lanes.size) this.startLane();
  }

  whenIdle(): Promise<unknown> {
    return Promise.allSettled([...this.lanes]);
  }

  private startLane(): void {
    const lane: Promise<void> = this.runLane().finally(() => this.lanes.delete(lane));
    this.lanes.add(lane);
  }

  private async runLane(): Promise<void> {
    const more = () => void (this.lanes.size < this.maxLanes && this.startLane());
    try {
      for (;;) {
        this.wanted = false;
        if (!(await this.step(more)) && !this.wanted) return;
        // On SQLite a step never waits for I/O, so without this a backlog would hold timers (retries, the poll, the
        // heartbeat) and incoming requests until it is drained.
        await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      this.failed(error);
    }
  }
}
