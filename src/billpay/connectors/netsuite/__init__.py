"""NetSuite (SuiteTalk REST web services): connector, plugin and wire mapping."""
