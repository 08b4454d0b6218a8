// Placeholder until the Socket module lands; replaced by its real sources.
enum _PlaceholderSocket {}
