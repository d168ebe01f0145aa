"""Survey definitions: versioned data that participants' answers are kept with."""
