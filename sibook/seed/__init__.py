"""The synthetic national population: deterministic, realistic, streamed in batches."""
