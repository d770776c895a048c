print("Portti")
