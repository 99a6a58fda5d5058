//go:build !unix

package lock

import "os"

func tryLock(*os.File) (bool, error) { return false, errUnsupported }
func unlock(*os.File)                {}
func alive(int) bool                 { return false }
