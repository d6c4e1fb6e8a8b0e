// Package main is wrong for a program.
package main

func main() {}
