// Package dial may use the network.
package dial

import _ "net"
