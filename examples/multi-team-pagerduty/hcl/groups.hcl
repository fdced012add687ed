# Rotations. `all_engineering` nests the team groups.

group "platform" {
  name        = "Platform SRE"
  description = "Platform SRE on-call rotation"
  members     = [user.amara_okoye, user.ben_hughes, user.chen_wei, user.dana_kowalski, user.elif_sahin]
}

group "payments" {
  name        = "Payments"
  description = "Payments on-call rotation"
  members     = [user.grace_lee, user.hector_ramos, user.isabel_costa, user.jamal_wright, user.kenji_sato]
}

group "data" {
  name        = "Data Platform"
  description = "Data Platform on-call rotation"
  members     = [user.mateo_silva, user.nadia_haddad, user.oliver_brandt, user.priya_nair, user.quentin_roux]
}

group "mobile" {
  name        = "Mobile"
  description = "Mobile on-call rotation"
  members     = [user.sam_taylor, user.tomoko_ito, user.umar_farouk, user.vera_novak, user.will_chen]
}

group "security" {
  name        = "Security"
  description = "Security on-call rotation"
  members     = [user.yusuf_demir, user.zoe_adams, user.arjun_mehta, user.bianca_rossi, user.carlos_vega]
}

group "incident_commanders" {
  name        = "Incident commanders"
  description = "Senior responders who run major incidents"
  members     = [user.amara_okoye, user.grace_lee, user.yusuf_demir]
}

group "all_engineering" {
  name        = "All engineering"
  description = "Every team's engineers (PagerDuty teams do not nest, so the members are listed)"
  members     = [user.amara_okoye, user.ben_hughes, user.chen_wei, user.dana_kowalski, user.elif_sahin, user.grace_lee, user.hector_ramos, user.isabel_costa, user.jamal_wright, user.kenji_sato, user.mateo_silva, user.nadia_haddad, user.oliver_brandt, user.priya_nair, user.quentin_roux, user.sam_taylor, user.tomoko_ito, user.umar_farouk, user.vera_novak, user.will_chen, user.yusuf_demir, user.zoe_adams, user.arjun_mehta, user.bianca_rossi, user.carlos_vega]
}
