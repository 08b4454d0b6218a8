print("pool-bench: placeholder")
