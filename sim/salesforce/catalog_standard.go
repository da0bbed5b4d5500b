package salesforce

// Field constructors keep the object tables below readable.
func idField() Field { return Field{Name: FieldID, Type: TypeID, ReadOnly: true} }
func text(name string) Field     { return Field{Name: name, Type: TypeString} }
func long(name string) Field     { return Field{Name: name, Type: TypeTextArea} }
func email(name string) Field    { return Field{Name: name, Type: TypeEmail} }
func pick(name string) Field     { return Field{Name: name, Type: TypePicklist} }
func flag(name string) Field     { return Field{Name: name, Type: TypeBoolean} }
func integer(name string) Field  { return Field{Name: name, Type: TypeInt} }
func double(name string) Field   { return Field{Name: name, Type: TypeDouble} }
func date(name string) Field     { return Field{Name: name, Type: TypeDate} }
func datetime(name string) Field { return Field{Name: name, Type: TypeDateTime} }
func derived(f Field) Field      { f.ReadOnly = true; return f }
func ref(name string, to ...string) Field {
	return Field{Name: name, Type: TypeReference, ReferenceTo: to}
}

// auditFields are the system fields in the order Salesforce lists them.
func auditFields() []Field {
	return []Field{
		derived(datetime(FieldCreatedDate)),
		derived(ref(FieldCreatedByID, "User")),
		derived(datetime(FieldLastModifiedDate)),
		derived(ref(FieldLastModifiedByID, "User")),
		derived(datetime(FieldSystemModstamp)),
	}
}

// addressField is a compound address. The component order is the one of the
// org behind the worked bitmap examples (reference §3.9), so Account's
// BillingAddress.City is component 1 as in "4-0x06".
func addressField(name, flatPrefix string) Field {
	comps := []struct {
		name string
		typ  FieldType
	}{
		{"Street", TypeTextArea}, {"City", TypeString}, {"State", TypeString},
		{"PostalCode", TypeString}, {"Country", TypeString}, {"StateCode", TypePicklist},
		{"CountryCode", TypePicklist}, {"Latitude", TypeDouble}, {"Longitude", TypeDouble},
		{"Xyz", TypeString}, {"GeocodeAccuracy", TypePicklist},
	}
	f := Field{Name: name, Type: TypeAddress}
	for _, c := range comps {
		f.Components = append(f.Components, Component{Name: c.name, Type: c.typ, FlatName: flatPrefix + c.name})
	}
	return f
}

// personNameField is the compound Name of Contact; its components are
// ordinary fields of the record under their own names.
func personNameField() Field {
	f := Field{Name: "Name", Type: TypeName}
	for _, c := range []string{"Salutation", "FirstName", "LastName", "MiddleName", "Suffix"} {
		f.Components = append(f.Components, Component{Name: c, Type: TypeString, FlatName: c})
	}
	f.Components[0].Type = TypePicklist
	return f
}

func joinFields(groups ...[]Field) []Field {
	var out []Field
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// accountObject follows the field order of the real Account change event
// in reference §3.9 (and fixtures/schemas/AccountChangeEvent.reconstructed.avsc.json).
func accountObject() *Object {
	return &Object{Name: "Account", KeyPrefix: PrefixAccount, HasChangeEvent: true, CDCSelected: true, Fields: joinFields(
		[]Field{idField(), derived(flag(FieldIsDeleted)),
			text("Name"), pick("Type"), ref("ParentId", "Account"),
			addressField("BillingAddress", "Billing"), addressField("ShippingAddress", "Shipping"),
			text("Phone"), text("Fax"), text("AccountNumber"), text("Website"), text("Sic"),
			pick("Industry"), double("AnnualRevenue"), integer("NumberOfEmployees"), pick("Ownership"),
			text("TickerSymbol"), long("Description"), pick("Rating"), text("Site"), ref(FieldOwnerID, "User")},
		auditFields(),
		[]Field{text("Jigsaw"), derived(text("JigsawCompanyId")), pick("CleanStatus"), pick("AccountSource"),
			text("DunsNumber"), text("Tradestyle"), text("NaicsCode"), text("NaicsDesc"), text("YearStarted"),
			text("SicDesc"), ref("DandbCompanyId", "DandBCompany")},
	)}
}

func contactObject() *Object {
	return &Object{Name: "Contact", KeyPrefix: PrefixContact, HasChangeEvent: true, CDCSelected: true, Fields: joinFields(
		[]Field{idField(), derived(flag(FieldIsDeleted)), ref("AccountId", "Account"), personNameField(),
			addressField("MailingAddress", "Mailing"), text("Phone"), text("MobilePhone"), email("Email"),
			text("Title"), text("Department"), long("Description"), ref(FieldOwnerID, "User")},
		auditFields(),
	)}
}

func caseObject() *Object {
	return &Object{Name: "Case", KeyPrefix: PrefixCase, HasChangeEvent: true, CDCSelected: true, Fields: joinFields(
		[]Field{idField(), derived(flag(FieldIsDeleted)), derived(text("CaseNumber")),
			ref("ContactId", "Contact"), ref("AccountId", "Account"), ref("SourceId", "EmailMessage"),
			ref("ParentId", "Case"), text("SuppliedName"), email("SuppliedEmail"), text("SuppliedPhone"),
			text("SuppliedCompany"), pick("Type"), pick("Status"), pick("Reason"), pick("Origin"),
			text("Subject"), pick("Priority"), long("Description"), derived(flag("IsClosed")),
			derived(datetime("ClosedDate")), flag("IsEscalated"), ref(FieldOwnerID, "User", "Group")},
		auditFields(),
		[]Field{email("ContactEmail"), long("Comments")},
	)}
}

func caseCommentObject() *Object {
	return &Object{Name: "CaseComment", KeyPrefix: PrefixCaseComment, Fields: joinFields(
		[]Field{idField(), ref("ParentId", "Case"), flag("IsPublished"), long("CommentBody")},
		auditFields(),
		[]Field{derived(flag(FieldIsDeleted))},
	)}
}

func taskObject() *Object {
	return &Object{Name: "Task", KeyPrefix: PrefixTask, HasChangeEvent: true, CDCSelected: true, Fields: joinFields(
		[]Field{idField(), ref("WhoId", "Contact", "Lead"), ref("WhatId"), text("Subject"), date("ActivityDate"),
			pick("Status"), pick("Priority"), ref(FieldOwnerID, "User", "Group"), long("Description"), pick("Type"),
			derived(flag(FieldIsDeleted)), derived(ref("AccountId", "Account")), derived(flag("IsClosed"))},
		auditFields(),
		[]Field{integer("CallDurationInSeconds"), pick("CallType"), text("CallDisposition"), text("CallObject"),
			pick("TaskSubtype"), derived(datetime("CompletedDateTime"))},
	)}
}

// emailMessageObject follows the describe order of EmailMessage, where the
// audit fields come right after the parent references.
func emailMessageObject() *Object {
	return &Object{Name: "EmailMessage", KeyPrefix: PrefixEmailMessage, HasChangeEvent: true, CDCSelected: true, Fields: joinFields(
		[]Field{idField(), ref("ParentId", "Case"), ref("ActivityId", "Task")},
		auditFields(),
		[]Field{long("TextBody"), long("HtmlBody"), long("Headers"), text("Subject"), text("FromName"),
			email("FromAddress"), text("ToAddress"), text("CcAddress"), text("BccAddress"), flag("Incoming"),
			flag("HasAttachment"), pick("Status"), datetime("MessageDate"), derived(flag(FieldIsDeleted)),
			ref("ReplyToEmailMessageId", "EmailMessage"), flag("IsExternallyVisible"), text("MessageIdentifier"),
			text("ThreadIdentifier"), text("ClientThreadIdentifier"), ref("RelatedToId")},
	)}
}

// customObject builds a declared custom object: the standard fields every
// custom object has, then its custom fields in declaration order.
func customObject(spec CustomObject, prefix string) *Object {
	o := &Object{Name: spec.Name, KeyPrefix: prefix, Custom: true, HasChangeEvent: true, CDCSelected: !spec.NoChangeEvents, Fields: joinFields(
		[]Field{idField(), ref(FieldOwnerID, "User", "Group"), derived(flag(FieldIsDeleted)), text("Name")},
		auditFields(),
	)}
	for _, f := range spec.Fields {
		o.Fields = append(o.Fields, Field{Name: f.Name, Type: f.Type, ReferenceTo: f.ReferenceTo, Custom: true})
	}
	return o
}

// standardObjects returns fresh copies of the built-in objects.
func standardObjects() []*Object {
	return []*Object{accountObject(), contactObject(), caseObject(), caseCommentObject(), taskObject(), emailMessageObject()}
}
