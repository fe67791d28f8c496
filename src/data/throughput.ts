/**
 * A job's recent throughput for progress(): the byte counter the workers advance, sampled every
 * 250 ms on the main thread, over the last 20 samples (about 5 s), so the rate follows the copy
 * without jumping at every chunk. The timer is unref'd; stop() it when the job settles.
 */
export interface ThroughputMeter {
  bytesPerSecond(): number;
  stop(): void;
}

const SAMPLE_MS = 250;
const SAMPLES = 20;

export function meterThroughput(readBytes: () => number): ThroughputMeter {
  const samples: { t: number; bytes: number }[] = [];
  const timer = setInterval(() => {
    samples.push({ t: Date.now(), bytes: readBytes() });
    if (samples.length > SAMPLES) samples.shift();
  }, SAMPLE_MS);
  timer.unref();
  return {
    bytesPerSecond() {
      const first = samples[0];
      const last = samples[samples.length - 1];
      return first && last && last.t > first.t ? Math.max(0, ((last.bytes - first.bytes) * 1000) / (last.t - first.t)) : 0;
    },
    stop: () => clearInterval(timer),
  };
}
