"""The live session: the engine facade and the parts it is composed of."""
