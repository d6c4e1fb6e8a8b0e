package bad

import (
	_ "github.com/govkiosk/govkiosk/sync/protocol"
)
