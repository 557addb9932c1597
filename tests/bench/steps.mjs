// What the benchmarks read from the lab page's per-step timings (`result.timings.steps`).

/** The median of a list of numbers. */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Images a recording step covered, from its label ("…: image 3 of 14" or "…: images 5-6 of 14"). */
export function stepImages(label) {
  const m = /images (\d+)-(\d+) of/.exec(label || '');
  return m ? Number(m[2]) - Number(m[1]) + 1 : 1;
}

/** Images per second over recording steps, the first `skip` images (the first and the warm-up) left out. */
export function imagesPerSecond(recordingSteps, skip) {
  let seen = 0;
  let seconds = 0;
  let images = 0;
  for (const s of recordingSteps) {
    const n = stepImages(s.label);
    if (seen >= skip) {
      seconds += s.seconds;
      images += n;
    }
    seen += n;
  }
  return images / seconds;
}
