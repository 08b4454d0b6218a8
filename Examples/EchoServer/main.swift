print("echo-server: placeholder")
