// A small CNN trained from a folder of PNG images, one subfolder per class (DIR/0/*.png … DIR/9/*.png),
// the layout torchvision's ImageFolder reads. The test suite writes such a folder from the bundled
// digits; your own images work the same way: they are decoded (pngjs, jpeg-js), checked against the
// declared 1×28×28 (pass --resize for other sizes, --grayscale for colour images) and scaled to [0, 1].
//   npx dlm train examples/digits_folder.dlm --data path/to/train_folder --test-data path/to/test_folder
import nn

model DigitsFolder {
  input  x: f32[B, 1, 28, 28]
  target y: i32[B]
  layer  conv = nn.Conv2d(1, 8, 3, padding = 1)
  layer  out = nn.Dense(8 * 14 * 14, 10)
  output logits = out(nn.flatten(max_pool2d(relu(conv(x)), 2)))
  loss   nn.cross_entropy(logits, y)
  optimizer adam(lr = 0.005)
  train { epochs = 3  batch = 32 }
}
