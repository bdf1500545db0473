/**
 * The non-interactive "spinner": `@ updating` followed by one dot per tick, so CI systems that kill
 * silent processes see life during long operations. Any other output first ends the dotted line.
 */
import { type ColorMode, Reset, Yellow, colorize } from "./colors.js";

export class Heartbeat {
  private shown = false;
  private stopped = false;

  constructor(
    private readonly label: string,
    private readonly color: ColorMode,
    private readonly write: (s: string) => void,
    private readonly suppressed: boolean,
  ) {}

  tick(): void {
    if (this.stopped || this.suppressed) return;
    const head = this.shown ? "" : `${Yellow}@ ${this.label}...${Reset}`;
    this.shown = true;
    this.write(colorize(`${head}${Yellow}.${Reset}`, this.color));
  }

  /** Call before writing anything else. */
  interrupt(): void {
    if (!this.shown) return;
    this.shown = false;
    this.write("\n");
  }

  stop(): void {
    this.stopped = true;
  }
}
