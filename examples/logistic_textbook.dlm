// Logistic regression written the textbook way, on probabilities:
//   J = −mean(y·log p + (1 − y)·log(1 − p)),  p = σ(x·w + b)
// In float32, 1 − p cancels for confident predictions and log p is −∞ once σ underflows. The compiler's
// `stabilize` pass rewrites the loss into its from-logits form before differentiating it; compare
//   npx dlm compile examples/logistic_textbook.dlm --emit ir --no-pass stabilize
//   npx dlm compile examples/logistic_textbook.dlm --emit ir --optimized
model Logistic {
  input  x: f32[B, 3]
  target y: f32[B, 1]
  param  w: f32[3, 1] = zeros
  param  b: f32[1] = zeros
  output p = sigmoid(x @ w + b)
  loss -mean(y * log(p) + (1 - y) * log(1 - p))
}
