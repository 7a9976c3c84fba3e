// A graph convolutional network (Kipf & Welling 2017) on Zachary's karate club: 34 members, 78
// friendships, and the club each member joined when it split in two. Each layer mixes every node's
// features with its neighbours' through the normalized adjacency Â = D^−½ (A + I) D^−½ (D: the degrees of
// A + I), then applies a dense layer: H' = act(Â·H·W). The members carry no features of their own (X = I,
// a learned vector per member), so what the network knows comes from the graph. Semi-supervised: the
// clubs of 4 members of each club are given (examples/data/karate_club.json), and the accuracy reported
// is on the other 26 (karate_club_test.json). The whole graph is one sample; −1 marks a club not given.
//   npx dlm train examples/gcn.dlm --data examples/data/karate_club.json --test-data examples/data/karate_club_test.json
import nn

// Â = D^−½ (A + I) D^−½ for a batch of adjacency matrices [B, N, N]
fn normalized_adjacency(a) {
  let n = dim(a, -1)
  let with_self = a + cast(expand_dims(iota(n), 1) == iota(n), f32)
  let d = 1 / sqrt(maximum(sum(with_self, -1), 1))          // [B, N]; a degree is ≥ 1 (the self-loop)
  expand_dims(d, -1) * with_self * expand_dims(d, -2)
}

// one graph convolution: Â·H·W + b, for H [B, N, in]
layer GraphConv(in, out) {
  layer lin = nn.Dense(in, out)
  fn forward(a_hat, h) = lin(a_hat @ h)
}

model Gcn {
  input  adjacency: f32[B, 34, 34]
  target club: i32[B, 34]                                    // 0 or 1; −1: not given

  layer gc1 = GraphConv(34, 16)
  layer gc2 = GraphConv(16, 2)

  let a_hat = normalized_adjacency(adjacency)
  let features = broadcast_to(cast(expand_dims(iota(34), 1) == iota(34), f32), [dim(adjacency, 0), 34, 34])   // X = I
  let h = nn.dropout(relu(gc1(a_hat, features)), 0.5)
  output logits = gc2(a_hat, h)                              // [B, 34, 2]

  loss nn.sequence_cross_entropy(logits, club) + 5e-4 * nn.l2(gc1.lin.W)
  optimizer adam(lr = 0.01)
  train { epochs = 100  batch = 1  val_fraction = 0 }
}
