/**
 * L-BFGS for smooth objectives and OWL-QN (orthant-wise L-BFGS, Andrew & Gao 2007) when an L1 term
 * Σ l1[i]·|x[i]| is added, the two optimizers Spark ML uses (through Breeze) for logistic and linear
 * regression. Backtracking line search (Armijo), memory m = 10 as in Spark.
 */
export interface Objective {
  /** the smooth part's value and gradient at x (the gradient is written into grad) */
  (x: Float64Array, grad: Float64Array): number;
}

export interface MinimizeOptions {
  maxIter?: number;
  /** stop when the (pseudo-)gradient norm is at most tol · max(1, |F|) */
  tol?: number;
  memory?: number;
  /** per-coordinate L1 weights; when given and nonzero somewhere, OWL-QN is used */
  l1?: Float64Array;
}

export interface MinimizeResult {
  x: Float64Array;
  value: number;
  iterations: number;
  converged: boolean;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function l1Value(x: Float64Array, l1: Float64Array | undefined): number {
  if (!l1) return 0;
  let s = 0;
  for (let i = 0; i < x.length; i++) s += l1[i]! * Math.abs(x[i]!);
  return s;
}

/** the pseudo-gradient of f + Σ l1|x| (the gradient itself when there is no L1 term) */
function pseudoGradient(x: Float64Array, g: Float64Array, l1: Float64Array | undefined, out: Float64Array): void {
  for (let i = 0; i < x.length; i++) {
    const c = l1 ? l1[i]! : 0;
    if (c === 0) out[i] = g[i]!;
    else if (x[i]! > 0) out[i] = g[i]! + c;
    else if (x[i]! < 0) out[i] = g[i]! - c;
    else if (g[i]! + c < 0) out[i] = g[i]! + c;
    else if (g[i]! - c > 0) out[i] = g[i]! - c;
    else out[i] = 0;
  }
}

export function minimize(f: Objective, x0: Float64Array, opts: MinimizeOptions = {}): MinimizeResult {
  const n = x0.length;
  const maxIter = opts.maxIter ?? 100;
  const tol = opts.tol ?? 1e-9;
  const m = opts.memory ?? 10;
  const l1 = opts.l1?.some((c) => c !== 0) ? opts.l1 : undefined;
  let x = Float64Array.from(x0);
  let g = new Float64Array(n);
  let fx = f(x, g) + l1Value(x, l1);
  const pg = new Float64Array(n);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  let iter = 0;
  for (; iter < maxIter; iter++) {
    pseudoGradient(x, g, l1, pg);
    const gnorm = Math.sqrt(dot(pg, pg));
    if (gnorm <= tol * Math.max(1, Math.abs(fx))) return { x, value: fx, iterations: iter, converged: true };
    const d = direction(pg, S, Y);
    if (l1) for (let i = 0; i < n; i++) if (d[i]! * pg[i]! >= 0) d[i] = 0;
    let slope = dot(d, pg);
    if (!(slope < 0)) {
      // not a descent direction: restart from steepest descent
      S.length = 0;
      Y.length = 0;
      for (let i = 0; i < n; i++) d[i] = -pg[i]!;
      slope = dot(d, pg);
    }
    let t = S.length === 0 ? Math.min(1, 1 / gnorm) : 1;
    const xn = new Float64Array(n);
    const gn = new Float64Array(n);
    let fn = Number.POSITIVE_INFINITY;
    let accepted = false;
    for (let ls = 0; ls < 60; ls++) {
      for (let i = 0; i < n; i++) {
        let v = x[i]! + t * d[i]!;
        if (l1 && l1[i]! !== 0) {
          const orthant = x[i]! !== 0 ? Math.sign(x[i]!) : -Math.sign(pg[i]!);
          if (Math.sign(v) !== orthant) v = 0;
        }
        xn[i] = v;
      }
      fn = f(xn, gn) + l1Value(xn, l1);
      let decrease = 0;
      for (let i = 0; i < n; i++) decrease += pg[i]! * (xn[i]! - x[i]!);
      if (Number.isFinite(fn) && fn <= fx + 1e-4 * decrease) {
        accepted = true;
        break;
      }
      t *= 0.5;
    }
    if (!accepted) return { x, value: fx, iterations: iter, converged: false };
    const s = xn.map((v, i) => v - x[i]!);
    const y = gn.map((v, i) => v - g[i]!);
    if (dot(s, y) > 1e-16) {
      S.push(s);
      Y.push(y);
      if (S.length > m) {
        S.shift();
        Y.shift();
      }
    }
    const prev = fx;
    x = xn;
    g = gn;
    fx = fn;
    if (Math.abs(prev - fx) <= 1e-15 * Math.max(1, Math.abs(fx)) && iter > 0) {
      pseudoGradient(x, g, l1, pg);
      return { x, value: fx, iterations: iter + 1, converged: true };
    }
  }
  return { x, value: fx, iterations: iter, converged: false };
}

/** -H·g by the two-loop recursion */
function direction(g: Float64Array, S: Float64Array[], Y: Float64Array[]): Float64Array {
  const q = Float64Array.from(g);
  const k = S.length;
  const alpha = new Float64Array(k);
  const rho = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    rho[i] = 1 / dot(Y[i]!, S[i]!);
    alpha[i] = rho[i]! * dot(S[i]!, q);
    const y = Y[i]!;
    for (let j = 0; j < q.length; j++) q[j]! -= alpha[i]! * y[j]!;
  }
  if (k > 0) {
    const gamma = dot(S[k - 1]!, Y[k - 1]!) / dot(Y[k - 1]!, Y[k - 1]!);
    for (let j = 0; j < q.length; j++) q[j]! *= gamma;
  }
  for (let i = 0; i < k; i++) {
    const b = rho[i]! * dot(Y[i]!, q);
    const s = S[i]!;
    for (let j = 0; j < q.length; j++) q[j]! += (alpha[i]! - b) * s[j]!;
  }
  for (let j = 0; j < q.length; j++) q[j] = -q[j]!;
  return q;
}
