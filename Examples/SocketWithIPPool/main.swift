print("socket-with-ip-pool: placeholder")
