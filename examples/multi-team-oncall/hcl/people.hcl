# Everyone who can be paged, by team. Live users are matched by email.

user "amara_okoye" {
  name  = "amara.okoye"
  email = "amara.okoye@example.com"
}

user "ben_hughes" {
  name  = "ben.hughes"
  email = "ben.hughes@example.com"
}

user "chen_wei" {
  name  = "chen.wei"
  email = "chen.wei@example.com"
}

user "dana_kowalski" {
  name  = "dana.kowalski"
  email = "dana.kowalski@example.com"
}

user "elif_sahin" {
  name  = "elif.sahin"
  email = "elif.sahin@example.com"
}

user "finn_murphy" {
  name        = "finn.murphy"
  email       = "finn.murphy@example.com"
  lint_ignore = ["L005"]
}

user "grace_lee" {
  name  = "grace.lee"
  email = "grace.lee@example.com"
}

user "hector_ramos" {
  name  = "hector.ramos"
  email = "hector.ramos@example.com"
}

user "isabel_costa" {
  name  = "isabel.costa"
  email = "isabel.costa@example.com"
}

user "jamal_wright" {
  name  = "jamal.wright"
  email = "jamal.wright@example.com"
}

user "kenji_sato" {
  name  = "kenji.sato"
  email = "kenji.sato@example.com"
}

user "lena_fischer" {
  name        = "lena.fischer"
  email       = "lena.fischer@example.com"
  lint_ignore = ["L005"]
}

user "mateo_silva" {
  name  = "mateo.silva"
  email = "mateo.silva@example.com"
}

user "nadia_haddad" {
  name  = "nadia.haddad"
  email = "nadia.haddad@example.com"
}

user "oliver_brandt" {
  name  = "oliver.brandt"
  email = "oliver.brandt@example.com"
}

user "priya_nair" {
  name  = "priya.nair"
  email = "priya.nair@example.com"
}

user "quentin_roux" {
  name  = "quentin.roux"
  email = "quentin.roux@example.com"
}

user "rosa_martinez" {
  name        = "rosa.martinez"
  email       = "rosa.martinez@example.com"
  lint_ignore = ["L005"]
}

user "sam_taylor" {
  name  = "sam.taylor"
  email = "sam.taylor@example.com"
}

user "tomoko_ito" {
  name  = "tomoko.ito"
  email = "tomoko.ito@example.com"
}

user "umar_farouk" {
  name  = "umar.farouk"
  email = "umar.farouk@example.com"
}

user "vera_novak" {
  name  = "vera.novak"
  email = "vera.novak@example.com"
}

user "will_chen" {
  name  = "will.chen"
  email = "will.chen@example.com"
}

user "xia_lin" {
  name        = "xia.lin"
  email       = "xia.lin@example.com"
  lint_ignore = ["L005"]
}

user "yusuf_demir" {
  name  = "yusuf.demir"
  email = "yusuf.demir@example.com"
}

user "zoe_adams" {
  name  = "zoe.adams"
  email = "zoe.adams@example.com"
}

user "arjun_mehta" {
  name  = "arjun.mehta"
  email = "arjun.mehta@example.com"
}

user "bianca_rossi" {
  name  = "bianca.rossi"
  email = "bianca.rossi@example.com"
}

user "carlos_vega" {
  name  = "carlos.vega"
  email = "carlos.vega@example.com"
}

user "divya_rao" {
  name        = "divya.rao"
  email       = "divya.rao@example.com"
  lint_ignore = ["L005"]
}
