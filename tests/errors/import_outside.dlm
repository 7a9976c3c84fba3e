// error: E0601 at 3:1
// an import may not leave the importing file's directory tree (add a search path instead)
import "../outside.dlm" as o
model M {
  input x: f32[4]
  output y = x
}
