// Placeholder until the Engine module lands; replaced by its real sources.
enum _PlaceholderEngine {}
