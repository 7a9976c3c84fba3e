// word2vec (Mikolov et al. 2013): skip-gram with negative sampling, over the letters of English words
// (the an-array-of-english-words npm package, as char_lstm.dlm reads it). Every letter c of a word gets
// a vector v_c and every context letter o (at most 2 places away in the same word) a vector u_o; the
// loss pulls σ(u_o·v_c) toward 1 for the letters that do occur together and σ(u_k·v_c) toward 0 for 5
// letters k drawn at random per pair: −log σ(u_o·v_c) − Σ_k log σ(−u_k·v_c), averaged over the pairs.
// Letters that appear in the same company get similar vectors: the nearest neighbours of each vowel
// (by the cosine of the v's) are vowels, with no one telling the model what a vowel is.
//   npx dlm train examples/word2vec.dlm
//   npx dlm neighbours examples/word2vec.dlm --checkpoint checkpoints/Word2Vec.safetensors --probe a,e,i,o,u,q,t
import nn

model Word2Vec {
  input x: i32[B, 16]            // 0 = word boundary or padding, 1–26 = a–z

  layer center = nn.Embedding(27, 16)
  layer context = nn.Embedding(27, 16, init = zeros)

  let v = center(x)                                           // [B, 16, 16]
  let xp = pad(x, [0, 2], [0, 2])                            // two 0s on each side: [B, 20]
  // the loss of the pairs (x_i, x_{i+d}) for one offset d, and how many there are
  fn pairs(d) {
    let o = xp[:, 2 + d:18 + d]                              // the letter d places from each letter
    let real = cast(x > 0, f32) * cast(o > 0, f32)            // both are letters (not boundary or padding)
    let positive = softplus(-sum(v * context(o), -1))         // −log σ(u_o·v_c)
    let k = 1 + cast(floor(26 * rand([dim(x, 0), 16, 5])), i32)   // 5 random letters per pair
    let negative = sum(softplus(sum(expand_dims(v, 2) * context(k), -1)), -1)   // −Σ log σ(−u_k·v_c)
    [sum(real * (positive + negative)), sum(real)]
  }
  let l1 = pairs(-2)
  let l2 = pairs(-1)
  let l3 = pairs(1)
  let l4 = pairs(2)
  loss (l1[0] + l2[0] + l3[0] + l4[0]) / (l1[1] + l2[1] + l3[1] + l4[1])

  output embeddings = center.W                                // [27, 16]: one row per letter, for `dlm neighbours`
  optimizer adam(lr = 0.01)
  train { data = words; epochs = 2; batch = 64 }
}
