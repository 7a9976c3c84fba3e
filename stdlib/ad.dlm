// Functions with their own derivative rules: `fn f(args) = … grad (args, dy) = …` declares f's
// vector–Jacobian product, which autodiff uses instead of differentiating the body (see README,
// "Custom gradients"). The rule returns one cotangent per argument, each of its argument's type.

// A straight-through estimator (binarized networks): the forward is sign(x) — whose derivative is 0
// almost everywhere — and the backward passes dy through where |x| ≤ 1 (the hard-tanh estimator).
// Deliberately not the derivative of sign: gradcheck reports it as a rule that differs.
fn ste_sign(x) = sign(x) grad (x, dy) = where(abs(x) <= 1, dy, 0)

// The identity, with the gradient flowing back through it clipped to [−c, c] element by element
// (gradient clipping at one point of a network). c gets no gradient.
fn clip_grad(x, c) = x grad (x, c, dy) = [clip(dy, -c, c), 0]

// log(1 + eˣ) without overflow for large x, with its derivative σ(x) given directly rather than
// through the max and abs of the stable form (which would have a kink at 0 in each piece).
fn log1pexp(x) = maximum(x, 0) + log(1 + exp(-abs(x))) grad (x, dy) = dy * sigmoid(x)
