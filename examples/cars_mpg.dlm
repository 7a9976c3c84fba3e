// Fuel economy (miles per gallon) of 392 cars from the 1970s and early 80s, from the `cars` table of the
// vega-datasets npm package (the UCI Auto MPG data): a regression. Five numeric columns are the
// features; rows with a missing value (6 cars without horsepower, 8 without MPG) are dropped; features
// are standardized with the training split's statistics. dlm reports MAE and R² for a float target.
//   npx dlm train examples/cars_mpg.dlm --data node_modules/vega-datasets/data/cars.json \
//     --label-column Miles_per_Gallon --features Cylinders,Displacement,Horsepower,Weight_in_lbs,Acceleration --drop-missing
import nn

model CarsMpg {
  input  x: f32[B, 5]
  target mpg: f32[B, 1]
  layer  h1 = nn.Dense(5, 32)
  layer  h2 = nn.Dense(32, 16)
  layer  out = nn.Dense(16, 1)
  output pred = out(relu(h2(relu(h1(x)))))
  loss   nn.mse(pred, mpg)
  optimizer adam(lr = 0.01)
  train { epochs = 150  batch = 32 }
}
