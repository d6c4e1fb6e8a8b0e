// Not a package doc: a doc is only the comment right above the clause.

package good
