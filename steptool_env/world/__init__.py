"""Layer 2: the seeded world, its domains (data + API implementations + task types), the
task generator, the answer checker and the suite that ties them together."""
