// The run-time scalars a model reads besides its inputs: the random key (random ops) and the training flag.
/** Names of the run-time scalars random ops read; '@' keeps them apart from every user name. */
export const RANDOM_KEY = '@key';
export const TRAINING_FLAG = '@training';
