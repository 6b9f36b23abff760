return { motd = "welcome to a Rojo project" }
