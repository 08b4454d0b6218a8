// Placeholder until the Pool module lands; replaced by its real sources.
enum _PlaceholderPool {}
