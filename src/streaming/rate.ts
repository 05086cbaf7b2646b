/**
 * Backpressure: a PID controller on the processing rate, after Spark's
 * PIDRateEstimator. After each batch it compares the rate the last batch was
 * allowed with the rate it was processed at, adds the backlog implied by the
 * scheduling delay, and returns a new bound (records/s), never below minRate.
 */
export class PIDRateEstimator {
  private first = true;
  private lastTime = -1;
  private lastRate = -1;
  private lastError = -1;

  constructor(
    private readonly batchIntervalMs: number,
    private readonly proportional = 1.0,
    private readonly integral = 0.2,
    private readonly derivative = 0.0,
    private readonly minRate = 100,
  ) {}

  /** the new rate bound in records/s, or undefined when there is not enough information yet */
  compute(time: number, records: number, processingMs: number, schedulingDelayMs: number): number | undefined {
    if (!(time > this.lastTime && records > 0 && processingMs > 0)) return undefined;
    const elapsedS = this.lastTime < 0 ? this.batchIntervalMs / 1000 : (time - this.lastTime) / 1000;
    const processingRate = (records / processingMs) * 1000;
    if (this.first) {
      this.first = false;
      this.lastTime = time;
      this.lastRate = processingRate;
      this.lastError = 0;
      return undefined;
    }
    const error = this.lastRate - processingRate;
    const backlogError = (schedulingDelayMs * processingRate) / this.batchIntervalMs;
    const dError = (error - this.lastError) / elapsedS;
    const rate = Math.max(
      this.lastRate - this.proportional * error - this.integral * backlogError - this.derivative * dError,
      this.minRate,
    );
    this.lastTime = time;
    this.lastRate = rate;
    this.lastError = error;
    return rate;
  }
}
